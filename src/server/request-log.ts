// The server's request log: request ids, one line per request, failures with their codes. The
// lines go through the logger given to buildServer (the worker's pino logger; app.ts). No header
// and no query string is ever logged, so an API key cannot reach the log.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, toApiError } from './openai-errors.js';

/** A request's id: the client's `x-request-id` when it is a plain token (letters, digits, `._:-`, at most 128), else a new UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** The path of a request, without its query (which could carry a secret). */
const pathOf = (url: string) => url.split('?')[0];

/**
 * Fastify's request lines, ours: nothing when a request comes in, and one line when its response
 * is finished with the request's id (`request_id`), method, path, status and milliseconds.
 */
export class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'request_id' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const ms = Math.round(reply.elapsedTime);
    const line = { method: req.method, url: pathOf(req.url), status: reply.statusCode, ms };
    const msg = `${req.method} ${pathOf(req.url)} ${reply.statusCode} ${ms} ms`;
    if (error) req.log.error({ ...line, err: error.message }, msg);
    else req.log.info(line, msg);
  }
}

/**
 * Sends the request's id back as `x-request-id` (set on the raw response, so streamed answers
 * carry it too), and logs a request whose client went away before its response was finished.
 */
export function tagRequests(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.raw.setHeader('x-request-id', req.id);
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      const line = { method: req.method, url: pathOf(req.url), status: null, ms: Math.round(reply.elapsedTime) };
      req.log.info(line, `${req.method} ${pathOf(req.url)}: the client went away`);
    });
  });
}

/**
 * Logs a failed request with its codes: the API's (`code`, what the client reads) and, for a
 * failure that is not already an API error, the library's or the framework's (`error_code`:
 * ERR_*, FST_*); a server failure (5xx) at error level with its stack, a refused request (4xx)
 * at info.
 */
export function logRequestError(req: FastifyRequest, e: unknown, api: ApiError = toApiError(e)): void {
  const rawCode = e instanceof ApiError ? undefined : (e as { code?: unknown } | null | undefined)?.code;
  const fields = { status: api.status, code: api.code, param: api.param, error_code: typeof rawCode === 'string' ? rawCode : null };
  if (api.status >= 500) req.log.error({ ...fields, err: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack }, `request failed: ${api.message}`);
  else req.log.info({ ...fields, err: api.message }, `request refused: ${api.message}`);
}
