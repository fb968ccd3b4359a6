// Runs every benchmark; each prints its ratio against the reference measured in the same run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

for (const b of [
  'startup.ts',
  'kmeans.ts',
  'minibatch.ts',
  'scaling.ts',
  'tree.ts',
  'report.ts',
  'serve.ts',
  'clv.ts',
  'engine.ts',
  'engine-features.ts',
]) {
  console.log(`\n## ${b}\n`);
  spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, b), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
}
