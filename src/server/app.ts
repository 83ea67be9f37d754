// The OpenAI-compatible server: fastify with @fastify/multipart (uploads held in memory, size
// limited by the parser), Bearer auth on every route but / and /health, OpenAI's error bodies for every failure, the
// scheduler that batches requests, and the page. `startServer` listens; `buildServer` only builds.
// With a logger (the CLI's), one line per request (its id, method, path, status, time) and every
// error with its code; request ids come from a valid `x-request-id` or are made, and are sent back.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { LoadOptions } from '../model.js';
import { DEFAULT_MAX_AUDIO_SECONDS } from '../audio.js';
import { DEFAULT_BATCH_SIZE } from '../options/index.js';
import { checkBearer } from './auth.js';
import { checkHostAndOrigin } from './origin.js';
import { MAX_REFERENCE_BYTES } from './parts.js';
import { ModelRegistry, type ServedModel } from './models.js';
import { ApiError, toApiError } from './openai-errors.js';
import { RequestLog, logRequestError, requestId, tagRequests } from './request-log.js';
import { registerRoutes } from './routes.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { decodeOptions } from '../live/index.js';
import { attachRealtime, DEFAULT_REALTIME_LIMITS, type RealtimeLimits } from './realtime/index.js';
import type { Logger } from '../worker/logger.js';

export interface ServerConfig {
  /** The first is the default (`whisper-1`, and every other id of OPENAI_MODEL_IDS not aliased). */
  models: ServedModel[];
  /** Model aliases: a name clients send → a served model's id (models.ts). */
  modelAliases?: Record<string, string>;
  load?: LoadOptions;
  apiKey?: string;
  /**
   * Without an API key, the Host names answered besides loopback's, and the origins whose pages may
   * call the API besides the server's own (origin.ts): names or addresses, with an optional
   * `:port`, or `*` for any. startServer adds the address and port it listens on.
   */
  allowedHosts?: string[];
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
  /** Realtime transcription sessions (/v1/realtime): how many, how idle, how far behind. */
  realtime?: Partial<RealtimeLimits>;
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
  const models = new ModelRegistry(config.models, config.load ?? {}, config.modelAliases);
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
  await app.register(multipart, { limits: { fileSize: maxFileBytes, files: 1, fields: 32, fieldSize: MAX_REFERENCE_BYTES, parts: 40 } });
  // Without a key, no page on another site may drive the server (origin.ts). Every route but the
  // page and /health needs the key (decided by the matched route, not the raw URL).
  const allowedHosts = config.allowedHosts ?? [];
  app.addHook('onRequest', async (req) => {
    if (!config.apiKey) checkHostAndOrigin(req.headers, allowedHosts);
    if (!OPEN_ROUTES.has(req.routeOptions.url ?? '')) checkBearer(req.headers.authorization, config.apiKey);
  });
  app.setErrorHandler((e, req, reply) => {
    const api = toApiError(e);
    logRequestError(req, e, api);
    // Refused before its body was read whole (a bad part, a field too long): the rest is read
    // and dropped, so that the connection serves the client's next request.
    if (!req.raw.complete) discardBody(req.raw, maxFileBytes + 1024 * 1024);
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
  const realtime = attachRealtime(app.server, {
    apiKey: config.apiKey,
    allowedHosts,
    limits: { ...DEFAULT_REALTIME_LIMITS, ...config.realtime },
    vadModelPath: config.vadModelPath,
    checkModel: (name) => void models.find(name),
    // Each turn's decodings queue with the file requests, ahead of them: its final one transcribed
    // as the library's transcribe() does, its partial ones (quick, partial.ts) in the batched
    // pipeline, sharing batches with other sessions' partials (and file requests with their batch key).
    transcribe: (name, audio, options, kind) =>
      scheduler.submit({
        model: models.find(name),
        decode: async () => audio,
        options: { ...decodeOptions(options, kind), vadFilter: false, vadModelPath: config.vadModelPath },
        alone: kind === 'final',
        priority: true,
      }),
  });
  return {
    app,
    models,
    scheduler,
    async close() {
      realtime.close();
      scheduler.close();
      await app.close();
      await models.dispose();
    },
  };
}

/**
 * Reads the rest of a request's body and drops it: the multipart parser is unpiped (Node's own
 * clean-up leaves a body alone once it has been read from). Past `maxBytes`, the connection is
 * closed instead.
 */
function discardBody(raw: IncomingMessage, maxBytes: number): void {
  let bytes = 0;
  raw.unpipe();
  raw.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) raw.socket?.destroy();
  });
  raw.resume();
}

/** Builds and listens; resolves with the server and its address. */
export async function startServer(config: ServerConfig, host: string, port: number): Promise<Server & { url: string }> {
  const allowedHosts = [...(config.allowedHosts ?? [])];
  const server = await buildServer({ ...config, allowedHosts });
  const url = await server.app.listen({ host, port });
  // The address and port it listens on are a Host its clients use (an address is no DNS rebinding).
  if (net.isIP(host) && !['0.0.0.0', '::'].includes(host)) allowedHosts.push(new URL(url).host);
  return { ...server, url };
}
