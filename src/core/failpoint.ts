/**
 * Crash injection for the tests of what a killed run leaves behind: when SEGMINT_FAILPOINT names
 * this point, the process kills itself with SIGKILL there (as `kill -9` would), with no clean-up.
 * Unset (always, outside those tests), it does nothing.
 */
export function failpoint(name: string): void {
  if (process.env.SEGMINT_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
