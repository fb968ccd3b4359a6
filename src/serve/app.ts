import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Model, parseModel, ruleVerdicts, scoreModel } from '../model/model.js';
import { customerHistory, listRuns } from '../pipeline/history.js';
import { dashboardHtml } from './dashboard.js';
import { featuresFromOrders } from './orders.js';
import { BatchRequest, ErrorBody, RunStartResponse, ScoreRequest, ScoreResponse } from './schemas.js';

export interface AppDeps {
  /** The output folder of a recipe: runs/, latest, history.duckdb. */
  workspace: string;
  /** When set, every /v1 route and the dashboard need this key (x-api-key, Authorization: Bearer, or Basic). */
  apiKey?: string | undefined;
  /** Largest request body in bytes (default 16 MiB, enough for a 10,000-row batch). */
  bodyLimit?: number;
  /** Starts a run now; resolves with its id. Absent: POST /v1/runs answers 501. */
  startRun?: () => Promise<string>;
  /** Whether a run is going on. */
  isRunning?: () => boolean;
  logger?: boolean;
}

interface Loaded {
  model: Model;
  runId: string;
  runDir: string;
  numeric: Set<string>;
}

/** Loads <workspace>/latest/model.json, or null while there is none. */
function loadLatest(workspace: string): Loaded | null {
  const latest = join(workspace, 'latest');
  if (!existsSync(join(latest, 'model.json'))) return null;
  const runDir = realpathSync(latest);
  const model = parseModel(JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8')));
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { runId: string };
  return {
    model,
    runId: run.runId,
    runDir,
    numeric: new Set(model.features.filter((f) => f.type === 'numeric').map((f) => f.name)),
  };
}

/** Routes that need the key when one is set: the API under /v1 and the dashboard. */
const needsKey = (route: string): boolean => route.startsWith('/v1/') || route === '/';

/** The key a request presents: x-api-key, Authorization: Bearer, or the password of Basic auth. */
function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const direct = headers['x-api-key'];
  if (typeof direct === 'string') return direct;
  const auth = headers.authorization;
  if (!auth) return undefined;
  if (auth.startsWith('Bearer ')) return auth.slice(7);
  if (auth.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** Compares in constant time (digests of equal length, so neither the key nor its length leaks). */
function keyMatches(given: string | undefined, key: string): boolean {
  if (given === undefined) return false;
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(key));
}

const fail = (reply: FastifyReply, status: number, code: string, message: string, field?: string) =>
  reply.code(status).send({ error: { code, message, ...(field ? { field } : {}) } });

/**
 * The HTTP app, built without listening (tests use inject()): scoring, segments, customers, runs,
 * reports, health, OpenAPI and a small dashboard. The model is read from the workspace's latest
 * run and re-read when a new run lands.
 */
export function buildApp(deps: AppDeps): FastifyInstance & { reloadModel: () => void } {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: deps.bodyLimit ?? 16 * 1024 * 1024 });
  let current: Loaded | null = null;
  let loadError: string | null = null;
  const reloadModel = () => {
    try {
      current = loadLatest(deps.workspace);
      loadError = null;
    } catch (e) {
      loadError = (e as Error).message;
    }
  };
  reloadModel();
  // Runs made outside the server (segmint run, another process) move `latest`: follow it. One
  // readlink a request; the model is re-read only when the target changed.
  const followLatest = () => {
    let target: string | null = null;
    try {
      target = realpathSync(join(deps.workspace, 'latest'));
    } catch {
      target = null;
    }
    if (target !== (current?.runDir ?? null)) reloadModel();
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const code =
      status === 413
        ? 'BODY_TOO_LARGE'
        : status === 400
          ? 'BAD_REQUEST'
          : status === 415
            ? 'UNSUPPORTED_MEDIA_TYPE'
            : 'INTERNAL';
    return fail(reply, status, code, status === 500 ? 'The server failed on this request.' : err.message);
  });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, 'NOT_FOUND', `No route ${req.method} ${req.url}.`));

  // The key is checked on the route fastify matched (after it decoded the path), never on the raw
  // URL: /%761/segments is /v1/segments and needs the key too. With a key set, the dashboard needs
  // it as well (a browser asks for it: any user name, the key as the password).
  app.addHook('onRequest', async (req, reply) => {
    if (!deps.apiKey) return;
    const route = req.routeOptions.url;
    if (route === undefined || !needsKey(route)) return;
    if (keyMatches(presentedKey(req.headers), deps.apiKey)) return;
    if (route === '/') reply.header('www-authenticate', 'Basic realm="segmint", charset="UTF-8"');
    return fail(
      reply,
      401,
      'UNAUTHORIZED',
      'A valid API key is needed: send it as x-api-key, Authorization: Bearer <key>, or as the password of Basic authentication.',
    );
  });

  const needModel = (reply: FastifyReply): Loaded | null => {
    followLatest();
    if (current) return current;
    fail(
      reply,
      503,
      'NO_MODEL',
      loadError
        ? `The latest model cannot be read: ${loadError}`
        : 'No model yet: no run has finished in this workspace. Start one with POST /v1/runs or segmint run.',
    );
    return null;
  };

  const parse = <T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): T | null => {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    const i = r.error.issues[0];
    fail(reply, 400, 'INVALID_BODY', `${i.path.join('.') || '(body)'}: ${i.message}`, i.path.join('.'));
    return null;
  };

  /** Scores validated rows; returns an error message naming the field when a value is unusable. */
  const scoreRows = (
    m: Loaded,
    rows: { customer_id?: string | undefined; features: Record<string, number | string | null> }[],
  ): { ok: z.infer<typeof ScoreResponse>[] } | { field: string; message: string } => {
    const steps = m.model.prep.steps;
    for (const [i, r] of rows.entries()) {
      for (const s of steps) {
        if (!(s.name in r.features))
          return {
            field: `${rows.length > 1 ? `rows.${i}.` : ''}features.${s.name}`,
            message: `the feature "${s.name}" is missing (send null for an unknown value)`,
          };
        const v = r.features[s.name];
        if (s.type === 'numeric' && typeof v === 'string')
          return {
            field: `${rows.length > 1 ? `rows.${i}.` : ''}features.${s.name}`,
            message: `"${s.name}" must be a number or null`,
          };
      }
    }
    const numeric = (name: string) =>
      m.numeric.has(name)
        ? Float64Array.from(rows, (r) =>
            typeof r.features[name] === 'number' ? (r.features[name] as number) : Number.NaN,
          )
        : undefined;
    const categorical = (name: string) =>
      rows.map((r) =>
        r.features[name] === null || r.features[name] === undefined ? null : String(r.features[name]),
      );
    const scored = scoreModel(m.model, { rows: rows.length, numeric, categorical });
    // A value the model cannot place (1e308 overflows the scaling; so do orders whose value
    // overflows): a coded 400 that names the feature, never a 200 with a null distance.
    for (const [i, r] of rows.entries()) {
      if (Number.isFinite(scored.distance[i])) continue;
      let worst = '';
      let size = -1;
      for (const s of steps) {
        const v = r.features[s.name];
        if (typeof v === 'number' && (Number.isNaN(Math.abs(v)) ? 0 : Math.abs(v)) > size) {
          size = Math.abs(v);
          worst = s.name;
        }
      }
      return {
        field: `${rows.length > 1 ? `rows.${i}.` : ''}features.${worst}`,
        message: `the row cannot be scored: "${worst}" = ${r.features[worst]} is outside the range the model's preparation can place (its prepared value is not finite)`,
      };
    }
    return {
      ok: rows.map((r, i) => {
        const seg = m.model.segments[scored.label[i]];
        return {
          customer_id: r.customer_id ?? null,
          segment_id: seg.id,
          segment_name: seg.name,
          action: seg.action,
          distance: scored.distance[i],
          subsegment_id: scored.subsegment[i],
          rules: ruleVerdicts(m.model, (f) =>
            f in r.features
              ? typeof r.features[f] === 'number'
                ? (r.features[f] as number)
                : Number.NaN
              : undefined,
          ),
        };
      }),
    };
  };

  app.post('/v1/score', async (req, reply) => {
    const m = needModel(reply);
    if (!m) return reply;
    const body = parse(ScoreRequest, req.body, reply);
    if (!body) return reply;
    let computed: Record<string, number | string | null> | null = null;
    if (body.orders) {
      // Raw orders: the model's own cleaning and feature definitions make the features.
      let byCustomer: Map<string, Record<string, number | string | null>>;
      try {
        byCustomer = await featuresFromOrders(m.model, body.orders, body.reference_date);
      } catch (e) {
        return fail(reply, 400, 'INVALID_ORDERS', (e as Error).message, 'orders');
      }
      const id = body.customer_id ?? (byCustomer.size === 1 ? [...byCustomer.keys()][0] : undefined);
      if (id === undefined)
        return fail(
          reply,
          400,
          'INVALID_ORDERS',
          'The orders hold several customers: name one with customer_id.',
          'customer_id',
        );
      computed = byCustomer.get(id) ?? null;
      if (!computed)
        return fail(
          reply,
          400,
          'INVALID_ORDERS',
          `No usable order of customer ${id} is left after the model's cleaning rules.`,
          'orders',
        );
    }
    const features = { ...(body.features ?? {}), ...(computed ?? {}) };
    const r = scoreRows(m, [
      { ...(body.customer_id !== undefined ? { customer_id: body.customer_id } : {}), features },
    ]);
    if ('field' in r) return fail(reply, 400, 'INVALID_FEATURES', r.message, r.field);
    return { ...r.ok[0], model: m.runId, ...(computed ? { features: computed } : {}) };
  });

  app.post('/v1/score/batch', async (req, reply) => {
    const m = needModel(reply);
    if (!m) return reply;
    const body = parse(BatchRequest, req.body, reply);
    if (!body) return reply;
    if (body.rows.some((x) => !x.features))
      return fail(
        reply,
        400,
        'INVALID_BODY',
        'Batch rows take features (orders are scored one customer at a time).',
        'rows',
      );
    const r = scoreRows(
      m,
      body.rows.map((x) => ({
        ...(x.customer_id !== undefined ? { customer_id: x.customer_id } : {}),
        features: x.features ?? {},
      })),
    );
    if ('field' in r) return fail(reply, 400, 'INVALID_FEATURES', r.message, r.field);
    return { model: m.runId, rows: r.ok };
  });

  app.get('/v1/segments', async (_req, reply) => {
    const m = needModel(reply);
    if (!m) return reply;
    return {
      model: m.runId,
      segments: m.model.segments,
      features: m.model.features.map((f) => ({ name: f.name, type: f.type, description: f.description })),
    };
  });

  app.get('/v1/customers/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const history = await customerHistory(deps.workspace, req.params.id);
    if (!history.length)
      return fail(
        reply,
        404,
        'UNKNOWN_CUSTOMER',
        `Customer ${req.params.id} is in no run of this workspace.`,
      );
    const m = current;
    const latest = history[0];
    const seg = m?.model.segments.find((s) => s.id === latest.segmentId);
    return {
      customer_id: req.params.id,
      segment_id: latest.segmentId,
      segment_name: latest.segmentName,
      action: seg?.action ?? null,
      run: latest.runId,
      history,
    };
  });

  app.get('/v1/runs', async () => ({
    running: deps.isRunning?.() ?? false,
    runs: await listRuns(deps.workspace),
  }));

  app.get('/v1/runs/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const run = (await listRuns(deps.workspace)).find((r) => r.runId === req.params.id);
    if (!run) return fail(reply, 404, 'UNKNOWN_RUN', `No run ${req.params.id} in this workspace.`);
    const record =
      run.runDir && existsSync(join(run.runDir, 'run.json'))
        ? JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'))
        : null;
    return { ...run, record };
  });

  app.get('/v1/runs/:id/report', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const run = (await listRuns(deps.workspace)).find((r) => r.runId === req.params.id);
    const file = run?.runDir ? join(run.runDir, 'report.html') : null;
    if (!file || !existsSync(file))
      return fail(reply, 404, 'NO_REPORT', `Run ${req.params.id} has no report.`);
    return reply.type('text/html; charset=utf-8').send(readFileSync(file, 'utf8'));
  });

  app.post('/v1/runs', async (_req, reply) => {
    if (!deps.startRun)
      return fail(reply, 501, 'NO_RECIPE', 'This server has no recipe to run: start it with --recipe.');
    if (deps.isRunning?.())
      return fail(
        reply,
        409,
        'RUN_IN_PROGRESS',
        'A run is going on; try again when it has finished (GET /v1/runs).',
      );
    const runId = await deps.startRun();
    return reply.code(202).send({ started: true, runId });
  });

  app.get('/healthz', async () => {
    followLatest();
    return { ok: true, model: current?.runId ?? null, running: deps.isRunning?.() ?? false };
  });

  app.get('/openapi.json', async () => openApi());

  app.get('/', async (req: FastifyRequest<{ Querystring: { customer?: string } }>, reply) => {
    followLatest();
    const runs = await listRuns(deps.workspace);
    const customer = req.query.customer
      ? { id: req.query.customer, history: await customerHistory(deps.workspace, req.query.customer) }
      : null;
    const migration =
      current && existsSync(join(current.runDir, 'run.json'))
        ? JSON.parse(readFileSync(join(current.runDir, 'run.json'), 'utf8')).migration
        : null;
    return reply.type('text/html; charset=utf-8').send(
      dashboardHtml({
        model: current?.model ?? null,
        runId: current?.runId ?? null,
        runs,
        customer,
        migration,
        running: deps.isRunning?.() ?? false,
      }),
    );
  });

  return Object.assign(app, { reloadModel });
}

/** The OpenAPI document, generated from the same zod schemas that validate the bodies. */
export function openApi(): Record<string, unknown> {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: 'any' });
  const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s) } } });
  const errors = {
    400: { description: 'Invalid request', ...json(ErrorBody) },
    401: { description: 'Missing or wrong API key', ...json(ErrorBody) },
    503: { description: 'No model yet', ...json(ErrorBody) },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'segmint scoring API', version: '1' },
    paths: {
      '/v1/score': {
        post: {
          summary: 'Segment of one customer',
          requestBody: json(ScoreRequest),
          responses: { 200: { description: 'The segment', ...json(ScoreResponse) }, ...errors },
        },
      },
      '/v1/score/batch': {
        post: {
          summary: 'Segments of up to 10,000 customers',
          requestBody: json(BatchRequest),
          responses: {
            200: { description: 'One result per row' },
            ...errors,
            413: { description: 'Body too large' },
          },
        },
      },
      '/v1/customers/{id}': {
        get: {
          summary: "A customer's latest segment and history",
          responses: {
            200: { description: 'Found' },
            404: { description: 'Unknown customer', ...json(ErrorBody) },
          },
        },
      },
      '/v1/segments': {
        get: {
          summary: 'The segments of the serving model',
          responses: { 200: { description: 'Segments' }, 503: errors[503] },
        },
      },
      '/v1/runs': {
        get: { summary: 'Runs of the workspace' },
        post: {
          summary: 'Start a run now',
          responses: {
            202: { description: 'Started', ...json(RunStartResponse) },
            409: { description: 'A run is going on', ...json(ErrorBody) },
          },
        },
      },
      '/v1/runs/{id}': { get: { summary: 'One run and its record' } },
      '/v1/runs/{id}/report': { get: { summary: "The run's HTML report" } },
      '/healthz': { get: { summary: 'Liveness, serving model and whether a run is going on' } },
    },
  };
}
