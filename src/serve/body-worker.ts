// Parses and checks one large request body off the server's main thread: JSON.parse and the zod
// schema of its route (BODIES in schemas.ts). Order lines come back as text (OrderLines), so what
// is posted back is small to copy and cheap to receive.

import { parentPort } from 'node:worker_threads';
import { append } from '../core/arrays.js';
import { BODIES } from './schemas.js';

export type BodyJob =
  | { id: number; path: string }
  | { id: number; chunks: Uint8Array[] }
  | { id: number; end: true };
export type BodyResult =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; kind: 'json' | 'schema'; message: string; field?: string };

/** JSON.parse refusing the keys that poison prototypes (as fastify's own parser does). */
function parseJson(text: string): unknown {
  return JSON.parse(text, (key, value) => {
    if (
      key === '__proto__' ||
      (key === 'constructor' && value && typeof value === 'object' && 'prototype' in value)
    )
      throw new SyntaxError(`the key "${key}" is not allowed`);
    return value;
  });
}

/** Order lines go back as bytes, moved (not copied) to the main thread. */
function asBytes(value: unknown, moved: ArrayBuffer[]): void {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) asBytes(v, moved);
    return;
  }
  const o = value as Record<string, unknown>;
  if (typeof o.ndjson === 'string' && typeof o.count === 'number') {
    const bytes = new TextEncoder().encode(o.ndjson);
    o.ndjson = bytes;
    moved.push(bytes.buffer as ArrayBuffer);
    return;
  }
  for (const v of Object.values(o)) asBytes(v, moved);
}

const jobs = new Map<number, { path: string; chunks: Uint8Array[] }>();

function finish(
  id: number,
  path: string,
  chunks: Uint8Array[],
): { result: BodyResult; moved: ArrayBuffer[] } {
  const moved: ArrayBuffer[] = [];
  try {
    const body = parseJson(Buffer.concat(chunks).toString('utf8'));
    const schema = BODIES[path];
    const r = schema ? schema.safeParse(body) : { success: true as const, data: body };
    if (r.success) {
      asBytes(r.data, moved);
      return { result: { id, ok: true, value: r.data }, moved };
    }
    const issue = r.error.issues[0];
    const field = issue.path.map(String).join('.');
    return {
      result: { id, ok: false, kind: 'schema', message: `${field || '(body)'}: ${issue.message}`, field },
      moved,
    };
  } catch (e) {
    return { result: { id, ok: false, kind: 'json', message: (e as Error).message }, moved };
  }
}

parentPort?.on('message', (job: BodyJob) => {
  if ('path' in job) jobs.set(job.id, { path: job.path, chunks: [] });
  else if ('chunks' in job) {
    const j = jobs.get(job.id);
    if (j) append(j.chunks, job.chunks);
  } else {
    const j = jobs.get(job.id);
    jobs.delete(job.id);
    if (!j) return;
    const { result, moved } = finish(job.id, j.path, j.chunks);
    parentPort?.postMessage(result, moved);
  }
});
