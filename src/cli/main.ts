import { Command, CommanderError } from 'commander';
import { SegmintError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { registerCampaign } from './cmd-campaign.js';
import { registerCluster } from './cmd-cluster.js';
import { registerDemo } from './cmd-demo.js';
import { registerInit } from './cmd-init.js';
import { registerInspect } from './cmd-inspect.js';
import { registerReport } from './cmd-report.js';
import { registerRun } from './cmd-run.js';
import { registerScore } from './cmd-score.js';
import { registerServe } from './cmd-serve.js';
import { EXIT, type Io, processIo, reportError } from './output.js';

/** Builds the CLI; `io` lets tests capture output. */
export function buildCli(io: Io = processIo): Command {
  const program = new Command('segmint')
    .description('Customer segmentation: raw e-commerce data to segments, tags and a model in one command.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // Usage errors are reported by main() in segmint's format (a code, the fix; JSON under --json).
      outputError: () => {},
      getOutHelpWidth: () => 80,
      getErrHelpWidth: () => 80,
    });
  registerInit(program, io);
  registerInspect(program, io);
  registerRun(program, io);
  registerDemo(program, io);
  registerScore(program, io);
  registerCluster(program, io);
  registerReport(program, io);
  registerServe(program, io);
  registerCampaign(program, io);
  return program;
}

/** A command-line mistake commander found, as segmint's USAGE error with where to read the options. */
function usageError(e: CommanderError, argv: string[], program: Command): SegmintError {
  const command = program.commands.find((c) => c.name() === argv[0] || c.aliases().includes(argv[0] ?? ''));
  const sub = command?.commands.find((c) => c.name() === argv[1]);
  const name = ['segmint', command?.name(), sub?.name()].filter(Boolean).join(' ');
  return new SegmintError('USAGE', e.message.replace(/^error: /, '').replace(/\.?$/, '.'), {
    hint: `See the arguments and options with: ${name} --help`,
  });
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  // Command actions report their exit code through process.exitCode; it is read and restored here,
  // so main() can be called many times in one process (tests) and only bin.ts sets the real one.
  const before = process.exitCode;
  process.exitCode = 0;
  const program = buildCli(io);
  let code: number;
  try {
    await program.parseAsync(argv, { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      code =
        e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help'
          ? EXIT.ok
          : reportError(usageError(e, argv, program), argv.includes('--json'), io);
    } else code = reportError(e, argv.includes('--json'), io);
  }
  process.exitCode = before;
  return code;
}
