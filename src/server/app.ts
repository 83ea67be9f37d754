// The OpenAI-compatible server: fastify with @fastify/multipart (uploads held in memory, size
// limited by the parser), Bearer auth on every route but / and /health, OpenAI's error bodies for every failure, the
// scheduler that batches requests, and the page. `startServer` listens; `buildServer` only builds.
// With a logger (the CLI's), one line per request (its id, method, path, status, time) and every
// error with its code; request ids come from a valid `x-request-id` or are made, and are sent back.
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { LoadOptions } from '../model.js';
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
  /** Longest audio (default 2 hours). */
  maxAudioSeconds?: number;
  scheduler?: Partial<SchedulerOptions>;
  vadModelPath?: string;
  ffmpegPath?: string;
  /** Where requests and errors are logged (the worker's pino logger); none: nothing is logged. */
  logger?: Logger;
}

export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;
export const DEFAULT_MAX_AUDIO_SECONDS = 2 * 3600;
export const DEFAULT_SCHEDULER: SchedulerOptions = { batching: true, batchSize: 8, gatherMs: 15, maxQueue: 64, maxRequestsPerCall: 32 };

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
