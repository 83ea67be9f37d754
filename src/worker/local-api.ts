// --rp_serve_api: RunPod's queue-based endpoint API on loopback, for trying the worker without
// RunPod, in RunPod's URL layout (`/{endpoint_id}/run`, any endpoint id, as the runpod SDK builds
// its URLs from RUNPOD_ENDPOINT_BASE_URL) and without the endpoint id (runpod-python's own local
// API):
//   POST /run, /runsync[?wait=ms]                 {input}: the job's id and status / its result
//   GET|POST /status/{id}, /stream/{id}           the status (output or error); the streamed segments not read yet
//   POST /cancel/{id}, /purge-queue               cancel one job; cancel every queued job
//   GET /health                                   jobs by status, the worker idle or running
// with the bodies RunPod documents. The jobs themselves are local-jobs.ts's.
import http from 'node:http';
import type { TranscriptionService } from './handler.js';
import type { Logger } from './logger.js';
import { LocalJobs, type Entry, type LocalApiOptions } from './local-jobs.js';

/** After SIGTERM, how long at least a result finished during shutdown waits for its client to ask for it. */
export const REPORT_WAIT_MS = 5000;

/** Room in a request body for the fields beside the audio. */
const BODY_OVERHEAD_BYTES = 1024 * 1024;

/** RunPod's bounds on /runsync's `?wait=` (ms). */
const WAIT_MIN_MS = 1000;
const WAIT_MAX_MS = 300_000;

/**
 * The largest request body --rp_serve_api reads: MAX_AUDIO_BYTES of audio as base64, and
 * BODY_OVERHEAD_BYTES for the other fields. A larger body is answered 413 without being kept.
 */
export function maxRequestBytes(maxAudioBytes: number): number {
  return Math.ceil(maxAudioBytes / 3) * 4 + BODY_OVERHEAD_BYTES;
}

export interface LocalApi {
  server: http.Server;
  /**
   * Stops accepting jobs (503), fails the queued ones, lets the running one finish within
   * `graceMs` and then cancels it, answers every waiting request, keeps answering /status until
   * the jobs in hand have been reported (until the grace period ends, at least REPORT_WAIT_MS after
   * the last one ended) and closes the server.
   * Resolves to false if the running job did not stop within CANCEL_WAIT_MS of its cancellation.
   */
  shutdown(graceMs: number): Promise<boolean>;
  /** Cancels the running job now (a second signal during shutdown). */
  cancelRunning(): void;
}

const SHUTTING_DOWN = 'the worker is shutting down and takes no new jobs';

/** Operations on the endpoint, with the methods they take. */
const ENDPOINT_OPS: Record<string, readonly string[]> = { run: ['POST'], runsync: ['POST'], health: ['GET'], 'purge-queue': ['POST'] };
/** Operations on a job. */
const JOB_OPS: Record<string, readonly string[]> = { status: ['GET', 'POST'], stream: ['GET', 'POST'], cancel: ['POST'] };

/** `/[endpoint id/]op` or `/[endpoint id/]op/{job id}`: the operation and the job id, or undefined. */
export function parseRoute(pathname: string): { op: string; jobId?: string } | undefined {
  const parts = pathname.split('/').slice(1);
  if (parts.some((p) => !/^[\w.-]+$/.test(p))) return undefined;
  // A job's operation: [endpoint id] op id. An endpoint's: [endpoint id] op.
  const tail2 = parts.slice(-2);
  if (parts.length >= 2 && parts.length <= 3 && Object.hasOwn(JOB_OPS, tail2[0])) return { op: tail2[0], jobId: tail2[1] };
  const last = parts[parts.length - 1];
  if (parts.length >= 1 && parts.length <= 2 && Object.hasOwn(ENDPOINT_OPS, last)) return { op: last };
  return undefined;
}

/** Writes a JSON answer, unless one was sent already; while stopping, with `connection: close`. */
type Send = (code: number, body: unknown, headers?: Record<string, string>) => void;

/** Routes one request (the routes above); an unknown path is 404, a known one with another method 405. */
function handleRequest(jobs: LocalJobs, limit: BodyLimit, req: http.IncomingMessage, res: http.ServerResponse): void {
  const send: Send = (code, body, headers = {}) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(code, { 'content-type': 'application/json', ...(jobs.stopping ? { connection: 'close' } : {}), ...headers });
    res.end(JSON.stringify(body));
  };
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = parseRoute(url.pathname);
  if (!route) return send(404, { error: `no route ${req.method} ${url.pathname}` });
  const methods = route.jobId !== undefined ? JOB_OPS[route.op] : ENDPOINT_OPS[route.op];
  if (!methods.includes(req.method ?? '')) {
    req.resume();
    return send(405, { error: `${route.op} takes ${methods.join(' or ')}` }, { allow: methods.join(', ') });
  }
  if (route.jobId !== undefined) {
    req.resume();
    return jobOperation(jobs, route.op, route.jobId, send);
  }
  if (route.op === 'health') {
    const body = { status: jobs.stopping ? 'shutting_down' : 'ok', ...jobs.health() };
    return send(jobs.stopping ? 503 : 200, body);
  }
  if (jobs.stopping) {
    req.resume();
    return send(503, { error: SHUTTING_DOWN });
  }
  if (route.op === 'purge-queue') {
    req.resume();
    return send(200, { removed: jobs.purgeQueue(), status: 'completed' });
  }
  const wait = waitOf(url);
  if (typeof wait === 'string') {
    req.resume();
    return send(400, { error: wait });
  }
  readBody(req, res, limit, (body) => acceptJob(jobs, route.op === 'runsync', wait, body, send));
}

/** /status, /stream and /cancel of one job; an unknown (or dropped) job is 404. */
function jobOperation(jobs: LocalJobs, op: string, id: string, send: Send): void {
  const e = jobs.jobs.get(id);
  if (!e) return send(404, { error: `no job ${id}` });
  if (op === 'status') return send(200, jobs.view(e));
  if (op === 'stream') return send(200, jobs.streamView(e));
  jobs.cancel(e);
  send(200, { id: e.id, status: e.status });
}

/** /runsync's `?wait=` in ms (RunPod's 1000 to 300000), undefined when absent (wait for the result), or what is wrong with it. */
function waitOf(url: URL): number | undefined | string {
  const raw = url.searchParams.get('wait');
  if (raw === null) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= WAIT_MIN_MS && ms <= WAIT_MAX_MS)) return `wait must be a whole number of ms from ${WAIT_MIN_MS} to ${WAIT_MAX_MS}, got ${JSON.stringify(raw)}`;
  return ms;
}

/** The largest request body (maxRequestBytes) and what a 413 says. */
interface BodyLimit {
  bytes: number;
  message: string;
}

/**
 * Reads a request body bounded by MAX_AUDIO_BYTES (`limit`): one over it, by its declared length
 * or once it passes the bound, is answered 413 and not kept.
 */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, limit: BodyLimit, onBody: (body: Buffer) => void): void {
  const maxBody = limit.bytes;
  const declared = Number(req.headers['content-length']);
  const refuse = () => {
    if (res.headersSent) return;
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error: limit.message }));
    req.resume();
  };
  if (Number.isFinite(declared) && declared > maxBody) return refuse();
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > maxBody) {
      over = true;
      chunks.length = 0;
      refuse();
    } else chunks.push(c);
  });
  req.on('end', () => {
    if (over) return;
    const body = Buffer.concat(chunks);
    chunks.length = 0;
    onBody(body);
  });
}

/**
 * Queues the job in a /run or /runsync body; /run answers its id at once, /runsync its result
 * (or, past `waitMs`, its id and status, as RunPod's does). Nothing here holds the body or the
 * input while a /runsync waits (the entry drops its input).
 */
function acceptJob(jobs: LocalJobs, sync: boolean, waitMs: number | undefined, raw: Buffer, send: Send): void {
  if (jobs.stopping) return send(503, { error: SHUTTING_DOWN });
  let body: { input?: unknown };
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return send(400, { error: 'the request body is not JSON' });
  }
  if (!body || typeof body !== 'object' || !('input' in body)) return send(400, { error: 'the request has no "input" field' });
  const entry = jobs.submit(body.input);
  if (!sync) return send(200, { id: entry.id, status: entry.status });
  void untilDone(entry, waitMs).then(() => send(200, jobs.view(entry)));
}

/** Resolves when the job has its result, or after `waitMs` when given. */
function untilDone(entry: Entry, waitMs: number | undefined): Promise<void> {
  if (waitMs === undefined) return entry.done;
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
  return Promise.race([entry.done, waited]).finally(() => clearTimeout(timer));
}

/** Lets the answers to waiting /runsync requests go out (2 s at most), then closes every connection. */
async function closeServer(server: http.Server, openRequests: Set<http.ServerResponse>): Promise<void> {
  const flushBy = Date.now() + 2000;
  while (openRequests.size && Date.now() < flushBy) await new Promise((r) => setTimeout(r, 20));
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** RunPod's endpoint API for a local worker (the routes above). */
export function serveApi(service: TranscriptionService, port: number, host: string, log: Logger, opts: LocalApiOptions = {}): Promise<LocalApi> {
  const jobs = new LocalJobs(service, log, opts);
  const openRequests = new Set<http.ServerResponse>();
  const maxBody = maxRequestBytes(service.config.limits.maxBytes);
  const limit: BodyLimit = {
    bytes: maxBody,
    message: `the request body is larger than ${maxBody} bytes (MAX_AUDIO_BYTES=${service.config.limits.maxBytes} of audio as base64, and 1 MiB for the other fields)`,
  };
  const server = http.createServer((req, res) => {
    openRequests.add(res);
    res.on('close', () => openRequests.delete(res));
    handleRequest(jobs, limit, req, res);
  });
  const shutdown = async (graceMs: number): Promise<boolean> => {
    if (jobs.stopping) return true;
    jobs.stopping = true;
    const graceEnd = Date.now() + graceMs;
    const inHand = jobs.unfinished();
    jobs.failQueued();
    const stopped = await jobs.stopRunning(graceMs);
    // Until the grace period is over (and at least REPORT_WAIT_MS after the last job ended), /status
    // is answered until every job in hand at SIGTERM has been reported.
    await jobs.reported(inHand, Math.max(graceEnd, Date.now() + REPORT_WAIT_MS));
    await closeServer(server, openRequests);
    return stopped;
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const bound = (server.address() as { port: number }).port;
      log.info({ host, port: bound }, `serving RunPod's endpoint API on http://${host}:${bound}: /{endpoint_id}/run, /runsync, /status/{id}, /stream/{id}, /cancel/{id}, /purge-queue, /health (the endpoint id is optional)`);
      resolve({ server, shutdown, cancelRunning: () => jobs.cancelRunning() });
    });
  });
}
