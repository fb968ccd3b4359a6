/** Progress events a run emits; the CLI renders them, the server logs them. */
export const STAGES = [
  'data',
  'clean',
  'features',
  'matrix',
  'prep',
  'cluster',
  'profile',
  'outputs',
] as const;
export type Stage = (typeof STAGES)[number];

export type RunEvent =
  | { type: 'stage'; stage: Stage; index: number; total: number }
  | { type: 'stage-done'; stage: Stage; ms: number; detail: string }
  | { type: 'progress'; stage: Stage; done: number; total: number; label: string };

export type OnEvent = (e: RunEvent) => void;
