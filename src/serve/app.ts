import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { createServer, STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { measureCampaign } from '../campaign/measure.js';
import { planCampaign } from '../campaign/plan.js';
import {
  campaignDir,
  listCampaigns,
  measurementsOf,
  readLatestMeasurement,
  readPlan,
  reconcileCampaigns,
} from '../campaign/store.js';
import type { LoadedRecipe } from '../config/load.js';
import { httpStatus, isSegmintError, SegmintError } from '../core/errors.js';
import { every } from '../core/throttle.js';
import { type Model, parseModel, ruleVerdicts, scoreModel } from '../model/model.js';
import { readRunRecord } from '../model/record.js';
import { HistoryReader, type RunRow } from '../pipeline/history.js';
import { normaliseId } from '../sql/dialect.js';
import { dashboardHtml } from './dashboard.js';
import { featuresFromOrders } from './orders.js';
import { openApiOf, type Route, registerRoutes, route, sendError } from './routes.js';
import {
  BatchRequest,
  BatchResponse,
  CampaignParams,
  CampaignPlanResponse,
  CampaignRequest,
  CampaignResponse,
  CampaignsResponse,
  CustomerResponse,
  DashboardQuery,
  HealthResponse,
  IdParams,
  MeasurementResponse,
  MeasureRequest,
  quickScoreRequest,
  RunResponse,
  RunStartResponse,
  RunsResponse,
  ScoreOneResponse,
  ScoreRequest,
  type ScoreResponse,
  SegmentsResponse,
} from './schemas.js';

export interface AppDeps {
  /** The output folder of a recipe: runs/, latest, history.duckdb. */
  workspace: string;
  /** When set, every /v1 route and the dashboard need this key (x-api-key, Authorization: Bearer, or Basic). */
  apiKey?: string | undefined;
  /** Largest request body in bytes (default 16 MiB, enough for a 10,000-row batch). */
  bodyLimit?: number;
  /** Milliseconds a request may take to arrive whole, headers and body (default 30 s); then 408. */
  requestTimeout?: number;
  /** Starts a run now; resolves with its id. Absent: POST /v1/runs answers 501. */
  startRun?: () => Promise<string>;
  /** Whether a run is going on. */
  isRunning?: () => boolean;
  logger?: boolean;
  /** Checks every response against its schema (tests): a mismatch answers 500. */
  checkResponses?: boolean;
  /** The server's recipe, for campaigns (their baseline and measurement read its sources). */
  recipe?: () => LoadedRecipe;
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
  const run = readRunRecord(join(runDir, 'run.json'));
  return {
    model,
    runId: run.runId,
    runDir,
    numeric: new Set(model.features.filter((f) => f.type === 'numeric').map((f) => f.name)),
  };
}

/** Rows to score: the id to echo back and the features by name. */
type ScoreRow = { customer_id?: string | undefined; features: Record<string, number | string | null> };
type ScoreRows = (m: Loaded, rows: ScoreRow[]) => z.infer<typeof ScoreResponse>[];

/** A feature value the model cannot use, named by its field in the body. */
const badFeature = (rows: number, i: number, name: string, message: string) =>
  new SegmintError('INVALID_FEATURES', message, {
    where: { path: `${rows > 1 ? `rows.${i}.` : ''}features.${name}` },
  });

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

/**
 * The HTTP app, built without listening (tests use inject()): scoring, segments, customers, runs,
 * reports, health, OpenAPI and a small dashboard, each route declared once in the table below. The
 * model is read from the workspace's latest run and re-read when `latest` moves (a run of the
 * server's, or of another process).
 */
export function buildApp(deps: AppDeps): FastifyInstance & { reloadModel: () => void } {
  // A request must arrive whole within requestTimeout (headers and body): a body trickled a byte
  // at a time would otherwise hold a connection open for ever (fastify's default is no limit).
  // Node checks the timeout every connectionsCheckingInterval (30 s by default): checked every
  // second (or sooner for a short limit), so a late request is cut off near its limit.
  const requestTimeout = deps.requestTimeout ?? 30_000;
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimit ?? 16 * 1024 * 1024,
    requestTimeout,
    // fastify's and Node's own refusals answered in segmint's error format: a path that is not
    // URL text, a path part over the length limit, and a request whose headers overflow.
    frameworkErrors: (err, _req, reply) => {
      sendError(
        reply,
        new SegmintError(
          'BAD_URL',
          err.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'A part of the path is longer than 100 characters.'
            : 'The path is not valid URL text.',
        ),
      );
    },
    clientErrorHandler: (err, socket) => {
      const code = (err as { code?: string }).code;
      if (code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const e =
        code === 'HPE_HEADER_OVERFLOW'
          ? new SegmintError('HEADERS_TOO_LARGE', 'The request line and headers are larger than 16 KB.')
          : code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? new SegmintError(
                'REQUEST_TIMEOUT',
                'The request did not arrive whole within the request timeout.',
              )
            : new SegmintError('BAD_REQUEST', 'The request is not valid HTTP.', {
                hint: 'Send an HTTP/1.1 request with a method, a path and headers.',
              });
      const status = httpStatus(e.code);
      const body = JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint } });
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    serverFactory: (handler) =>
      createServer({ requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout) }, handler),
  });
  const history = new HistoryReader(deps.workspace);
  // The customer index is read when the server starts, not by its first lookups.
  history.warm();
  app.addHook('onClose', async () => history.close());
  // readlink is one system call; realpath walks every folder of the path (a fifth of a score
  // request's time under load). `latest` is a link that runs replace; its text names the run.
  const latestTarget = (): string | null => {
    const latest = join(deps.workspace, 'latest');
    try {
      return readlinkSync(latest);
    } catch {
      try {
        return realpathSync(latest);
      } catch {
        return null;
      }
    }
  };
  let current: Loaded | null = null;
  let loadError: string | null = null;
  let seen: string | null = null;
  const reloadModel = () => {
    seen = latestTarget();
    try {
      current = loadLatest(deps.workspace);
      loadError = null;
    } catch (e) {
      loadError = (e as Error).message;
    }
  };
  reloadModel();
  // Runs made outside the server (segmint run, another process) move `latest`: follow it. One
  // readlink; the model is re-read only when the target changed.
  // At most one look every LOOK_EVERY_MS (always while no model is loaded).
  const mayLook = every();
  const followLatest = () => {
    if (!mayLook(!current)) return;
    if (latestTarget() !== seen || !current) reloadModel();
  };

  const needModel = (): Loaded => {
    followLatest();
    if (current) return current;
    throw new SegmintError(
      'NO_MODEL',
      loadError
        ? `The latest model cannot be read: ${loadError}`
        : 'No model yet: no run has finished in this workspace. Start one with POST /v1/runs or segmint run.',
    );
  };

  /** Scores validated rows; throws INVALID_FEATURES naming the field when a value is unusable. */
  const scoreRows: ScoreRows = (m, rows) => {
    const steps = m.model.prep.steps;
    for (const [i, r] of rows.entries()) {
      for (const s of steps) {
        if (!(s.name in r.features))
          throw badFeature(
            rows.length,
            i,
            s.name,
            `the feature "${s.name}" is missing (send null for an unknown value)`,
          );
        const v = r.features[s.name];
        if (s.type === 'numeric' && typeof v === 'string')
          throw badFeature(rows.length, i, s.name, `"${s.name}" must be a number or null`);
      }
    }
    // A plain loop: Float64Array.from with a mapping function was ~5 us a request.
    const numeric = (name: string) => {
      if (!m.numeric.has(name)) return undefined;
      const out = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i].features[name];
        out[i] = typeof v === 'number' ? v : Number.NaN;
      }
      return out;
    };
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
      throw badFeature(
        rows.length,
        i,
        worst,
        `the row cannot be scored: "${worst}" = ${r.features[worst]} is outside the range the model's preparation can place (its prepared value is not finite)`,
      );
    }
    return rows.map((r, i) => {
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
    });
  };

  const findRun = async (id: string) => {
    const run = (await history.runs()).find((r) => r.runId === id);
    if (!run) throw new SegmintError('UNKNOWN_RUN', `No run ${id} in this workspace.`);
    return run;
  };

  const routes = apiRoutes({
    deps,
    history,
    needModel,
    followLatest,
    scoreRows,
    findRun,
    current: () => current,
  });

  // The key is checked on the route fastify matched (after it decoded the path), never on the raw
  // URL: /%761/segments is /v1/segments and needs the key too. With a key set, the dashboard needs
  // it as well (a browser asks for it: any user name, the key as the password).
  const apiKey = deps.apiKey;
  registerRoutes(app, routes, {
    ...(deps.checkResponses ? { checkResponses: true } : {}),
    // Without a key no route has a hook to run.
    ...(apiKey
      ? {
          authorize: (req, reply, r) => {
            if (!r.key || keyMatches(presentedKey(req.headers), apiKey)) return;
            if (r.response === 'html')
              reply.header('www-authenticate', 'Basic realm="segmint", charset="UTF-8"');
            return sendError(
              reply,
              new SegmintError('UNAUTHORIZED', 'A valid API key is needed for this route.'),
            );
          },
        }
      : {}),
  });
  return Object.assign(app, { reloadModel });
}

/** What the route handlers share: the app's dependencies, the serving model and the history. */
interface Ctx {
  deps: AppDeps;
  history: HistoryReader;
  current: () => Loaded | null;
  needModel: () => Loaded;
  followLatest: () => void;
  scoreRows: ScoreRows;
  findRun: (id: string) => Promise<RunRow>;
}

function apiRoutes(c: Ctx): Route[] {
  return [
    route({
      method: 'POST',
      path: '/v1/score',
      summary: 'Segment of one customer, from features or raw order lines',
      key: true,
      body: ScoreRequest,
      quickBody: quickScoreRequest,
      response: ScoreOneResponse,
      errors: ['INVALID_FEATURES', 'INVALID_ORDERS', 'NO_MODEL'],
      handler: async ({ body }) => {
        const m = c.needModel();
        let computed: Record<string, number | string | null> | null = null;
        if (body.orders) {
          // Raw orders: the model's own cleaning and feature definitions make the features.
          // The id as the cleaning rules read ids ("12556.0" is customer 12556).
          const named = body.customer_id === undefined ? null : normaliseId(body.customer_id);
          let byCustomer: Awaited<ReturnType<typeof featuresFromOrders>>;
          try {
            byCustomer = await featuresFromOrders(
              m.model,
              body.orders,
              body.reference_date,
              named ?? undefined,
            );
          } catch (e) {
            // The orders' own faults (a text quantity, a bad date) are the client's: 400 naming the
            // orders, with the data rule's message. Anything else is a fault of the server's.
            if (!isSegmintError(e) || e.category !== 'data') throw e;
            throw new SegmintError('INVALID_ORDERS', `${e.message} (${e.code})`, {
              where: { path: e.where.column ? `orders.${e.where.column}` : 'orders' },
            });
          }
          const id = named ?? (byCustomer.customers === 1 ? [...byCustomer.keys()][0] : undefined);
          if (id === undefined)
            throw new SegmintError(
              'INVALID_ORDERS',
              'The orders hold several customers: name one with customer_id.',
              {
                where: { path: 'customer_id' },
              },
            );
          computed = byCustomer.get(id) ?? null;
          if (!computed)
            throw new SegmintError(
              'INVALID_ORDERS',
              `No usable order of customer ${id} is left after the model's cleaning rules.`,
              { where: { path: 'orders' } },
            );
        }
        const features = computed ? { ...(body.features ?? {}), ...computed } : (body.features ?? {});
        const [one] = c.scoreRows(m, [{ customer_id: body.customer_id, features }]);
        return Object.assign(one, { model: m.runId }, computed ? { features: computed } : {});
      },
    }),
    route({
      method: 'POST',
      path: '/v1/score/batch',
      summary: 'Segments of up to 10,000 customers from their features',
      key: true,
      body: BatchRequest,
      response: BatchResponse,
      errors: ['INVALID_FEATURES', 'NO_MODEL'],
      handler: async ({ body }) => {
        const m = c.needModel();
        if (body.rows.some((x) => !x.features))
          throw new SegmintError(
            'INVALID_BODY',
            'Batch rows take features (orders are scored one customer at a time).',
            {
              where: { path: 'rows' },
            },
          );
        const rows = c.scoreRows(
          m,
          body.rows.map((x) => ({
            ...(x.customer_id !== undefined ? { customer_id: x.customer_id } : {}),
            features: x.features ?? {},
          })),
        );
        return { model: m.runId, rows };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/segments',
      summary: 'The segments and features of the serving model',
      key: true,
      response: SegmentsResponse,
      errors: ['NO_MODEL'],
      handler: async () => {
        const m = c.needModel();
        return {
          model: m.runId,
          segments: m.model.segments,
          features: m.model.features.map((f) => ({ name: f.name, type: f.type, description: f.description })),
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/customers/:id',
      summary: "A customer's latest segment and their segment in every run",
      key: true,
      params: IdParams,
      response: CustomerResponse,
      errors: ['UNKNOWN_CUSTOMER'],
      handler: async ({ params }) => {
        c.followLatest();
        const runs = await c.history.customer(params.id);
        if (!runs.length)
          throw new SegmintError('UNKNOWN_CUSTOMER', `Customer ${params.id} is in no run of this workspace.`);
        const latest = runs[0];
        const seg = c.current()?.model.segments.find((s) => s.id === latest.segmentId);
        return {
          customer_id: params.id,
          segment_id: latest.segmentId,
          segment_name: latest.segmentName,
          action: seg?.action ?? null,
          run: latest.runId,
          history: runs,
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/runs',
      summary: 'Runs of the workspace, newest first',
      key: true,
      response: RunsResponse,
      errors: [],
      handler: async () => ({ running: c.deps.isRunning?.() ?? false, runs: await c.history.runs() }),
    }),
    route({
      method: 'POST',
      path: '/v1/runs',
      summary: "Start a run of the server's recipe now",
      key: true,
      status: 202,
      response: RunStartResponse,
      errors: ['NO_RECIPE', 'RUN_IN_PROGRESS'],
      handler: async () => {
        if (!c.deps.startRun)
          throw new SegmintError('NO_RECIPE', 'This server has no recipe to run: start it with --recipe.');
        if (c.deps.isRunning?.())
          throw new SegmintError(
            'RUN_IN_PROGRESS',
            'A run is going on; try again when it has finished (GET /v1/runs).',
          );
        return { started: true, runId: await c.deps.startRun() };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/runs/:id',
      summary: 'One run and its record',
      key: true,
      params: IdParams,
      response: RunResponse,
      errors: ['UNKNOWN_RUN'],
      handler: async ({ params }) => {
        const run = await c.findRun(params.id);
        const file = run.runDir ? join(run.runDir, 'run.json') : null;
        const record = file && existsSync(file) ? readRunRecord(file) : null;
        return { ...run, record };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/runs/:id/report',
      summary: "The run's HTML report",
      key: true,
      params: IdParams,
      response: 'html',
      errors: ['UNKNOWN_RUN', 'NO_REPORT'],
      handler: async ({ params }) => {
        const run = await c.findRun(params.id);
        const file = run.runDir ? join(run.runDir, 'report.html') : null;
        if (!file || !existsSync(file))
          throw new SegmintError('NO_REPORT', `Run ${params.id} has no report.`);
        return readFileSync(file, 'utf8');
      },
    }),
    route({
      method: 'GET',
      path: '/v1/campaigns',
      summary: 'Campaigns of the workspace, newest first, each with its latest measurement',
      key: true,
      response: CampaignsResponse,
      errors: [],
      handler: async () => {
        await reconcileCampaigns(c.deps.workspace);
        const { campaigns, damaged } = listCampaigns(c.deps.workspace);
        return {
          campaigns: campaigns.map((x) => ({ campaign: x.plan, measurement: x.measurement })),
          damaged,
        };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/campaigns',
      summary:
        'Plan a campaign: a seeded holdout inside each chosen segment of a run, with the detectable effect',
      key: true,
      status: 201,
      body: CampaignRequest,
      response: CampaignPlanResponse,
      errors: ['USAGE', 'UNKNOWN_RUN', 'CAMPAIGN_EXISTS', 'NO_MODEL'],
      handler: async ({ body }) => {
        const campaign = await planCampaign({
          outDir: c.deps.workspace,
          name: body.name,
          segments: body.segments,
          holdout: body.holdout,
          ...(body.run ? { runId: body.run } : {}),
          ...(body.start ? { start: body.start } : {}),
          days: body.days,
          ...(body.seed !== undefined ? { seed: body.seed } : {}),
          alpha: body.alpha,
          power: body.power,
          replace: body.replace,
          ...(c.deps.recipe ? { loaded: c.deps.recipe() } : {}),
        });
        return { campaign };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/campaigns/:name',
      summary: 'A campaign: its plan, its latest measurement and every earlier one',
      key: true,
      params: CampaignParams,
      response: CampaignResponse,
      errors: ['UNKNOWN_CAMPAIGN'],
      handler: async ({ params }) => ({
        campaign: await reconcileCampaigns(c.deps.workspace).then(() =>
          readPlan(c.deps.workspace, params.name),
        ),
        measurement: readLatestMeasurement(c.deps.workspace, params.name),
        measurements: await measurementsOf(c.deps.workspace, params.name),
      }),
    }),
    route({
      method: 'POST',
      path: '/v1/campaigns/:name/measure',
      summary: "Measure a campaign now from the recipe's sources: lift per segment with intervals",
      key: true,
      params: CampaignParams,
      body: MeasureRequest,
      response: MeasurementResponse,
      errors: ['USAGE', 'UNKNOWN_CAMPAIGN', 'NO_RECIPE'],
      handler: async ({ params, body }) => ({
        measurement: await measureCampaign({
          outDir: c.deps.workspace,
          name: params.name,
          ...(body.end ? { end: body.end } : {}),
          level: body.level,
          ...(c.deps.recipe ? { loaded: c.deps.recipe() } : {}),
        }),
      }),
    }),
    route({
      method: 'GET',
      path: '/v1/campaigns/:name/report',
      summary: "The campaign's HTML report (plan, lift per segment, charts)",
      key: true,
      params: CampaignParams,
      response: 'html',
      errors: ['UNKNOWN_CAMPAIGN', 'NO_REPORT'],
      handler: async ({ params }) => {
        readPlan(c.deps.workspace, params.name);
        const file = join(campaignDir(c.deps.workspace, params.name), 'report.html');
        if (!existsSync(file))
          throw new SegmintError('NO_REPORT', `Campaign ${params.name} has not been measured yet.`);
        return readFileSync(file, 'utf8');
      },
    }),
    route({
      method: 'GET',
      path: '/healthz',
      summary: 'Liveness, the serving model and whether a run is going on',
      key: false,
      response: HealthResponse,
      errors: [],
      handler: async () => {
        c.followLatest();
        return { ok: true, model: c.current()?.runId ?? null, running: c.deps.isRunning?.() ?? false };
      },
    }),
    route({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This document',
      key: false,
      response: OpenApiResponse,
      errors: [],
      handler: async () => openApi(),
    }),
    route({
      method: 'GET',
      path: '/',
      summary: 'The dashboard: segments, runs, and a customer lookup',
      key: true,
      query: DashboardQuery,
      response: 'html',
      errors: [],
      handler: async ({ query }) => {
        c.followLatest();
        const runs = await c.history.runs();
        const customer = query.customer
          ? { id: query.customer, history: await c.history.customer(query.customer) }
          : null;
        const record =
          c.current() && existsSync(join((c.current() as Loaded).runDir, 'run.json'))
            ? readRunRecord(join((c.current() as Loaded).runDir, 'run.json'))
            : null;
        const listed = listCampaigns(c.deps.workspace);
        const campaigns = listed.campaigns.map((x) => {
          const chart = join(campaignDir(c.deps.workspace, x.plan.name), 'lift.svg');
          return { ...x, chart: x.measurement && existsSync(chart) ? readFileSync(chart, 'utf8') : null };
        });
        return dashboardHtml({
          model: c.current()?.model ?? null,
          runId: c.current()?.runId ?? null,
          runs,
          customer,
          migration: record?.migration ?? null,
          drift: record?.drift ?? null,
          campaigns,
          damagedCampaigns: listed.damaged,
          running: c.deps.isRunning?.() ?? false,
        });
      },
    }),
  ];
}

const OpenApiResponse = z.record(z.string(), z.unknown()).describe('An OpenAPI 3.1 document.');

/** The OpenAPI document, generated from the route table (the same schemas validate the bodies). */
export function openApi(): Record<string, unknown> {
  const unused = (): never => {
    throw new Error('not called');
  };
  const table = apiRoutes({
    deps: { workspace: '' },
    history: null as unknown as HistoryReader,
    current: () => null,
    needModel: unused,
    followLatest: unused,
    scoreRows: unused,
    findRun: unused,
  });
  return openApiOf(table, { title: 'segmint scoring API', version: '1' });
}
