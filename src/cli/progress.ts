import cliProgress from 'cli-progress';
import type { RunEvent } from '../pipeline/events.js';
import type { Io } from './output.js';

/**
 * Renders run events: a progress bar over the stages on a terminal, plain lines otherwise
 * (CI logs, pipes). Nothing at all with --json or --quiet.
 */
export function progressRenderer(
  io: Io,
  enabled: boolean,
): { onEvent: (e: RunEvent) => void; stop: () => void } {
  if (!enabled) return { onEvent: () => {}, stop: () => {} };
  if (!io.isTTY) {
    return {
      onEvent: (e) => {
        if (e.type === 'stage-done')
          io.err(`  ${e.stage.padEnd(9)} ${(e.ms / 1000).toFixed(2).padStart(6)} s  ${e.detail}\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '  {bar} {stage} {detail}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onEvent: (e) => {
      if (e.type === 'stage') {
        if (!started) {
          bar.start(e.total, e.index - 1, { stage: e.stage, detail: '' });
          started = true;
        } else bar.update(e.index - 1, { stage: e.stage, detail: '' });
      } else if (e.type === 'progress') {
        bar.update({ detail: `${e.label} (${e.done}/${e.total})` });
      } else {
        bar.stop();
        io.err(`  ${e.stage.padEnd(9)} ${(e.ms / 1000).toFixed(2).padStart(6)} s  ${e.detail}\n`);
        started = false;
      }
    },
    stop: () => bar.stop(),
  };
}
