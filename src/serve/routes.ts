import type { Worker } from 'node:worker_threads';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ErrorCode, httpStatus, isSegmintError, SegmintError } from '../core/errors.js';
import { startWorker } from '../core/worker.js';
import type { BodyJob, BodyResult } from './body-worker.js';
import { BODIES, ErrorBody } from './schemas.js';

/** What a handler gets: the validated body, path parameters and query, and the request's headers. */
export interface RouteInput<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  reply: FastifyReply;
}

/**
 * One route, declared once: the loop below registers it, validates its input with its schemas, and
 * the OpenAPI document is built from the same declaration. A handler returns the response (JSON, or
 * HTML for `html` routes) and throws a SegmintError for every failure: its code gives the status.
 */
export interface Route<B = unknown, P = unknown, Q = unknown> {
  method: 'GET' | 'POST';
  /** In fastify's syntax (/v1/runs/:id). */
  path: string;
  summary: string;
  /** Needs the API key when the server has one. */
  key: boolean;
  body?: z.ZodType<B>;
  /**
   * A hand-written check of the body's common shape, for a hot route: the body when `body` would
   * accept it unchanged, else undefined (then `body` decides and words the error).
   */
  quickBody?: (value: unknown) => B | undefined;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** The success status (200 unless said) and what it sends. */
  status?: number;
  response: z.ZodType | 'html';
  /** The error codes the handler may answer with (the key, body and server errors are added). */
  errors: ErrorCode[];
  handler: (input: RouteInput<B, P, Q>) => Promise<unknown>;
}

/** Keeps a route's types checked where it is declared. */
export const route = <B, P, Q>(r: Route<B, P, Q>): Route => r as unknown as Route;

const fieldOf = (issue: z.core.$ZodIssue): string => issue.path.map(String).join('.');

/** A body already parsed and checked against its route's schema (by the body worker). */
class Checked {
  constructor(readonly value: unknown) {}
}

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  if (!schema) return undefined as T;
  if (value instanceof Checked) return value.value as T;
  const r = schema.safeParse(value ?? (what === 'body' ? undefined : {}));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = fieldOf(issue);
  throw new SegmintError('INVALID_BODY', `${field || `(${what})`}: ${issue.message}`, {
    where: { path: field || what },
  });
}

/** Errors of fastify itself (body limit, media type, unparsable JSON) under their codes. */
function asSegmintError(err: unknown): SegmintError {
  if (isSegmintError(err)) return err;
  const e = err as FastifyError;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const code: ErrorCode =
    status === 413
      ? 'BODY_TOO_LARGE'
      : status === 415
        ? 'UNSUPPORTED_MEDIA_TYPE'
        : status >= 400 && status < 500
          ? 'BAD_REQUEST'
          : 'INTERNAL';
  return new SegmintError(code, code === 'INTERNAL' ? 'The server failed on this request.' : e.message);
}

/** The error body: the code, the message, the hint and the field at fault. */
export function sendError(reply: FastifyReply, e: SegmintError): FastifyReply {
  const field = e.where.path;
  return reply.code(httpStatus(e.code)).send({
    error: { code: e.code, message: e.message, hint: e.hint, ...(field ? { field } : {}) },
  });
}

export interface RegisterOptions {
  /** Checks every response against its route's schema (tests): a mismatch is an INTERNAL error. */
  checkResponses?: boolean;
  /** The key check, run on the matched route before anything else. */
  authorize?: (req: FastifyRequest, reply: FastifyReply, r: Route) => Promise<unknown> | unknown;
}

/** Bodies from this size on are parsed in the body worker (JSON.parse of 16 MB takes ~180 ms). */
export const OFFLOAD_BYTES = 1 << 20;

/** One worker for large bodies, started on first use; a body's chunks are passed on as they come. */
class BodyWorker {
  private worker: Worker | null = null;
  private next = 0;
  private readonly waiting = new Map<number, (r: BodyResult) => void>();
  private get w(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker('body-worker', import.meta.url);
    w.on('message', (r: BodyResult) => {
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
      if (!this.waiting.size) w.unref();
    });
    w.on('error', (e) => {
      for (const [id, done] of this.waiting) done({ id, ok: false, kind: 'json', message: e.message });
      this.waiting.clear();
      this.worker = null;
    });
    this.worker = w;
    return w;
  }
  /** Starts a body; returns the function that passes on a chunk and the one that ends it. */
  begin(path: string): { chunk: (b: Buffer) => void; end: () => Promise<BodyResult> } {
    const w = this.w;
    const id = this.next++;
    w.ref();
    const result = new Promise<BodyResult>((done) => this.waiting.set(id, done));
    w.postMessage({ id, path } satisfies BodyJob);
    // Network chunks (16-64 KB each) go in batches of about 1 MB, moved where a chunk owns its
    // memory (copying them into one buffer here cost 60 ms of page faults for 16 MB).
    let pending: Buffer[] = [];
    let size = 0;
    const flush = () => {
      if (!pending.length) return;
      const moved = new Set<ArrayBuffer>();
      const chunks = pending.map((c) => {
        const own =
          c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && !moved.has(c.buffer as ArrayBuffer);
        if (own) moved.add(c.buffer as ArrayBuffer);
        return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
      });
      pending = [];
      size = 0;
      w.postMessage({ id, chunks } satisfies BodyJob, [...moved]);
    };
    return {
      chunk: (b) => {
        pending.push(b);
        size += b.length;
        if (size >= OFFLOAD_BYTES) flush();
      },
      end: () => {
        flush();
        w.postMessage({ id, end: true } satisfies BodyJob);
        return result;
      },
    };
  }
  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}

const tooLarge = (limit: number) =>
  new SegmintError(
    'BODY_TOO_LARGE',
    `The body is larger than this server's limit of ${limit.toLocaleString('en-US')} bytes.`,
  );

/**
 * JSON bodies. Small ones: fastify's own parser. A large body (content-length from OFFLOAD_BYTES)
 * of a route listed in BODIES under the same schema goes to a worker chunk by chunk as it arrives,
 * and is decoded, parsed and checked there: one 16 MB request no longer holds up the others for
 * the half second that decoding, parsing and checking it takes on the main thread.
 */
function jsonBodies(app: FastifyInstance, routes: Route[]): void {
  const offload = new Set<string>();
  for (const r of routes) if (r.body && BODIES[r.path] === r.body) offload.add(r.path);
  const worker = new BodyWorker();
  app.addHook('onClose', async () => worker.close());
  const plain = app.getDefaultJsonParser('error', 'error');
  const limit = app.initialConfig.bodyLimit ?? 1 << 20;
  app.addContentTypeParser('application/json', (req, payload, done) => {
    const length = Number(req.headers['content-length']);
    if (length > limit) return done(tooLarge(limit), undefined);
    const path = req.routeOptions.url;
    const job =
      path !== undefined && offload.has(path) && length >= OFFLOAD_BYTES ? worker.begin(path) : null;
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    payload.on('data', (b: Buffer) => {
      if (failed) return;
      size += b.length;
      if (size > limit) {
        failed = true;
        return done(tooLarge(limit), undefined);
      }
      if (job) job.chunk(b);
      else chunks.push(b);
    });
    payload.on('error', (e) => {
      if (!failed) done(e, undefined);
      failed = true;
    });
    payload.on('end', () => {
      if (failed) return;
      if (!job) return plain(req, Buffer.concat(chunks, size).toString('utf8'), done);
      job.end().then((r) => {
        if (r.ok) return done(null, new Checked(r.value));
        if (r.kind === 'json')
          return done(new SegmintError('BAD_REQUEST', `The body is not JSON: ${r.message}`), undefined);
        done(new SegmintError('INVALID_BODY', r.message, { where: { path: r.field || 'body' } }), undefined);
      });
    });
  });
}

/** Registers every route, the JSON body parser, the error handler and the 404 answer. */
export function registerRoutes(app: FastifyInstance, routes: Route[], opts: RegisterOptions = {}): void {
  jsonBodies(app, routes);
  app.setErrorHandler((err, req, reply) => {
    const e = asSegmintError(err);
    if (e.code === 'INTERNAL') req.log.error(err);
    return sendError(reply, e);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new SegmintError('NOT_FOUND', `No route ${req.method} ${req.url}.`)),
  );
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.path,
      ...(opts.authorize && r.key
        ? { onRequest: async (req, reply) => opts.authorize?.(req, reply, r) }
        : {}),
      handler: async (req, reply) => {
        const out = await r.handler({
          body: (r.quickBody?.(req.body) as unknown) ?? validate(r.body, req.body, 'body'),
          params: validate(r.params, req.params, 'params'),
          query: validate(r.query, req.query, 'query'),
          reply,
        });
        if (r.response === 'html') return reply.type('text/html; charset=utf-8').send(out);
        if (opts.checkResponses) {
          const checked = r.response.safeParse(out);
          if (!checked.success)
            throw new SegmintError(
              'INTERNAL',
              `${r.method} ${r.path} sent what its schema does not allow: ${fieldOf(checked.error.issues[0])}: ${checked.error.issues[0].message}`,
            );
        }
        return reply.code(r.status ?? 200).send(out);
      },
    });
  }
}

/** The OpenAPI document of the routes, from the same schemas that validate them. */
export function openApiOf(
  routes: Route[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' });
  const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s) } } });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const codes = new Set<ErrorCode>([...r.errors, 'INTERNAL']);
    if (r.key) codes.add('UNAUTHORIZED');
    if (r.body)
      for (const c of ['INVALID_BODY', 'BAD_REQUEST', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const)
        codes.add(c);
    if (r.query || r.params) codes.add('INVALID_BODY');
    const byStatus = new Map<number, ErrorCode[]>();
    for (const c of codes) byStatus.set(httpStatus(c), [...(byStatus.get(httpStatus(c)) ?? []), c]);
    const parameters = [...paramsOf(r.params, 'path'), ...paramsOf(r.query, 'query')];
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      ...(r.key ? { security: [{ apiKey: [] }, { bearer: [] }] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, ...json(r.body) } } : {}),
      responses: {
        [r.status ?? 200]: {
          description: 'Success',
          ...(r.response === 'html'
            ? { content: { 'text/html': { schema: { type: 'string' } } } }
            : json(r.response)),
        },
        ...Object.fromEntries(
          [...byStatus]
            .sort(([a], [b]) => a - b)
            .map(([status, cs]) => [status, { description: cs.sort().join(', '), ...json(ErrorBody) }]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    paths,
  };
}

function paramsOf(s: z.ZodType | undefined, where: 'path' | 'query') {
  if (!s) return [];
  const js = z.toJSONSchema(s, { io: 'input' }) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(js.properties ?? {}).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    schema: p,
  }));
}
