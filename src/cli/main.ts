import { Command, CommanderError } from 'commander';
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
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
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
          : EXIT.usage;
    } else code = reportError(e, argv.includes('--json'), io);
  }
  process.exitCode = before;
  return code;
}
