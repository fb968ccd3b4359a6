import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ErrorCode, httpStatus, isSegmintError, SegmintError } from '../core/errors.js';
import { ErrorBody } from './schemas.js';

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

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  if (!schema) return undefined as T;
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

/** Registers every route, the error handler and the 404 answer. */
export function registerRoutes(app: FastifyInstance, routes: Route[], opts: RegisterOptions = {}): void {
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
      ...(opts.authorize ? { onRequest: async (req, reply) => opts.authorize?.(req, reply, r) } : {}),
      handler: async (req, reply) => {
        const out = await r.handler({
          body: validate(r.body, req.body, 'body'),
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
