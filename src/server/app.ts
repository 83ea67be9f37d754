// The OpenAI-compatible server: fastify with @fastify/multipart (uploads held in memory, size
// limited by the parser), Bearer auth on every route but / and /health, OpenAI's error bodies for every failure, the
// scheduler that batches requests, and the page. `startServer` listens; `buildServer` only builds.
// With a logger (the CLI's), one line per request (its id, method, path, status, time) and every
// error with its code; request ids come from a valid `x-request-id` or are made, and are sent back.
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { LoadOptions } from '../model.js';
import { DEFAULT_MAX_AUDIO_SECONDS } from '../audio.js';
import { DEFAULT_BATCH_SIZE } from '../options/index.js';
import { checkBearer } from './auth.js';
import { ModelRegistry, type ServedModel } from './models.js';
import { ApiError, toApiError } from './openai-errors.js';
import { RequestLog, logRequestError, requestId, tagRequests } from './request-log.js';
import { registerRoutes } from './routes.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import type { Logger } from '../worker/logger.js';

export interface ServerConfig {
  /** The first is the default (`whisper-1`). */
  models: ServedModel[];
  load?: LoadOptions;
  apiKey?: string;
  /** Largest upload (default 25 MB, OpenAI's limit). */
  maxFileBytes?: number;
  /** Longest audio (default: the library's, DEFAULT_MAX_AUDIO_SECONDS). */
  maxAudioSeconds?: number;
  scheduler?: Partial<SchedulerOptions>;
  /** Client timeouts (DEFAULT_TIMEOUTS). */
  timeouts?: Partial<HttpTimeouts>;
  vadModelPath?: string;
  ffmpegPath?: string;
  /** Where requests and errors are logged (the worker's pino logger); none: nothing is logged. */
  logger?: Logger;
}

export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;
export const DEFAULT_SCHEDULER: SchedulerOptions = {
  batching: true,
  batchSize: DEFAULT_BATCH_SIZE,
  gatherMs: 15,
  maxQueue: 64,
  /** 512 MiB of queued uploads (20 of OpenAI's 25 MB, many more small ones). */
  maxQueueBytes: 512 * 1024 * 1024,
  /** Decoded audio per engine call: 30 min (115 MB of samples); a longer request runs alone. */
  maxCallAudioSeconds: 1800,
  maxRequestsPerCall: 32,
};

/** How long a client may take: to send its headers, its whole request (body), and between requests on a kept-alive connection. */
export interface HttpTimeouts {
  headersMs: number;
  bodyMs: number;
  idleMs: number;
}
export const DEFAULT_TIMEOUTS: HttpTimeouts = { headersMs: 20_000, bodyMs: 300_000, idleMs: 5_000 };

/**
 * Fastify's server options for the timeouts (fastify's request timeout is 0, none, by default):
 * a connection that has not sent its headers within `headersMs`, or its whole request within
 * `bodyMs`, is closed (Node checks them every `connectionsCheckingInterval`), and a kept-alive one
 * idle for `idleMs`. A slow upload thus holds a socket for at most `bodyMs`, and no queue place
 * (requests are admitted once their form is read).
 */
export function httpTimeoutOptions(given: Partial<HttpTimeouts> = {}) {
  const t = { ...DEFAULT_TIMEOUTS, ...given };
  const headersTimeout = Math.min(t.headersMs, t.bodyMs);
  const check = Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4)));
  return {
    requestTimeout: t.bodyMs,
    keepAliveTimeout: t.idleMs,
    http: { headersTimeout, requestTimeout: t.bodyMs, keepAliveTimeout: t.idleMs, connectionsCheckingInterval: check },
  };
}

/** Routes open without the API key: the page (it asks for the key) and the health check. */
const OPEN_ROUTES = new Set(['/', '/health']);

export const PAGE_PATH = fileURLToPath(new URL('../../web/index.html', import.meta.url));

export interface Server {
  app: FastifyInstance;
  models: ModelRegistry;
  scheduler: Scheduler;
  close(): Promise<void>;
}

export async function buildServer(config: ServerConfig): Promise<Server> {
  const maxFileBytes = config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const models = new ModelRegistry(config.models, config.load ?? {});
  const scheduler = new Scheduler(models, { ...DEFAULT_SCHEDULER, ...config.scheduler });
  const app: FastifyInstance = Fastify({
    // pino's Logger is fastify's logger type; the cast keeps FastifyInstance's default generics.
    ...(config.logger ? { loggerInstance: config.logger as FastifyBaseLogger } : { logger: false }),
    logController: new RequestLog(),
    genReqId: requestId,
    forceCloseConnections: true,
    ...httpTimeoutOptions(config.timeouts),
  });
  tagRequests(app);
  await app.register(multipart, { limits: { fileSize: maxFileBytes, files: 1, fields: 32, fieldSize: 64 * 1024, parts: 40 } });
  // Every route but the page and /health needs the key (decided by the matched route, not the raw URL).
  app.addHook('onRequest', async (req) => {
    if (!OPEN_ROUTES.has(req.routeOptions.url ?? '')) checkBearer(req.headers.authorization, config.apiKey);
  });
  app.setErrorHandler((e, req, reply) => {
    const api = toApiError(e);
    logRequestError(req, e, api);
    reply.status(api.status).headers(api.headers).send(api.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const api = new ApiError(404, `no route ${req.method} ${req.url.split('?')[0]}`, 'invalid_request_error', null, 'unknown_url');
    reply.status(404).send(api.body());
  });
  registerRoutes(app, {
    models,
    scheduler,
    maxFileBytes,
    maxAudioSeconds: config.maxAudioSeconds ?? DEFAULT_MAX_AUDIO_SECONDS,
    vadModelPath: config.vadModelPath,
    ffmpegPath: config.ffmpegPath,
    pagePath: PAGE_PATH,
  });
  return {
    app,
    models,
    scheduler,
    async close() {
      scheduler.close();
      await app.close();
      await models.dispose();
    },
  };
}

/** Builds and listens; resolves with the server and its address. */
export async function startServer(config: ServerConfig, host: string, port: number): Promise<Server & { url: string }> {
  const server = await buildServer(config);
  const url = await server.app.listen({ host, port });
  return { ...server, url };
}
