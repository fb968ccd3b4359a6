#!/usr/bin/env node
import { VERSION } from '../version.js';
import { TOP_HELP } from './help.js';

// Output piped into `head` and the like: stop quietly when the reader goes away.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// `--version` and a bare `--help` are answered before commander and the commands load: start-up
// is most of their time. Everything else goes through main().
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) process.stdout.write(`${VERSION}\n`);
else if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h') && TOP_HELP)
  process.stdout.write(TOP_HELP);
else
  import('./main.js').then(({ main }) =>
    main(argv).then((code) => {
      process.exitCode = code;
    }),
  );
