// Local modes, as runpod-python offers them: run one test input and print the result, or
// serve /run, /runsync, /status/{id} and /health on loopback.
// A worker fault's result is shown as the handler returns it, `refresh_worker: true` beside its
// error (runpod.ts turns that into RunPod's stopPod).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { JobCancelled, type TranscriptionService, type JobResult } from './handler.js';
import type { Logger } from './logger.js';

/** After cancelling a job, how long to wait for its work to stop before giving up on it. */
export const CANCEL_WAIT_MS = 10_000;

/** Room in a request body for the fields beside the audio. */
const BODY_OVERHEAD_BYTES = 1024 * 1024;

/**
 * The largest request body --rp_serve_api reads: MAX_AUDIO_BYTES of audio as base64, and
 * BODY_OVERHEAD_BYTES for the other fields. A larger body is answered 413 without being kept.
 */
export function maxRequestBytes(maxAudioBytes: number): number {
  return Math.ceil(maxAudioBytes / 3) * 4 + BODY_OVERHEAD_BYTES;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];
export const signalExitCode = (sig: Signal) => 128 + os.constants.signals[sig];

/**
 * Runs `--test_input` (or ./test_input.json); prints the result; resolves to an exit code.
 * SIGTERM or SIGINT cancels the job: its directory is removed, the result says why, and the exit
 * code is 128 + the signal's number. If the work does not stop within CANCEL_WAIT_MS (or a second
 * signal comes), the directory is removed and the process exits at once.
 */
export async function runTestInput(service: TranscriptionService, raw: string | undefined, log: Logger): Promise<number> {
  let text = raw;
  if (text === undefined) {
    if (!fs.existsSync('test_input.json')) {
      process.stdout.write(JSON.stringify({ error: 'no RunPod environment, no --test_input and no ./test_input.json' }) + '\n');
      return 1;
    }
    text = fs.readFileSync('test_input.json', 'utf8');
  }
  let job: { id?: string; input?: unknown };
  try {
    job = JSON.parse(text);
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: `test input is not JSON: ${(e as Error).message}` }) + '\n');
    return 1;
  }
  if (!job || typeof job !== 'object' || !('input' in job)) {
    process.stdout.write(JSON.stringify({ error: 'test input has no "input" field' }) + '\n');
    return 1;
  }
  const id = typeof job.id === 'string' ? job.id : `local-${randomUUID()}`;
  const abort = new AbortController();
  let signalled: Signal | undefined;
  const exitNow = (sig: Signal, why: string) => {
    service.removeJobDirsSync();
    log.error({ job_id: id, signal: sig }, why);
    process.stdout.write(JSON.stringify({ error: `job cancelled: the worker received ${sig}` }) + '\n');
    process.exit(signalExitCode(sig));
  };
  const onSignal = (sig: Signal) => {
    if (signalled) return exitNow(sig, 'second signal: exiting without waiting for the job');
    signalled = sig;
    log.warn({ job_id: id, signal: sig }, `${sig}: cancelling the job`);
    abort.abort(new JobCancelled(`the worker received ${sig}`));
    setTimeout(() => exitNow(sig, `the job did not stop within ${CANCEL_WAIT_MS} ms of ${sig}: its directory removed, exiting`), CANCEL_WAIT_MS).unref();
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  try {
    log.info({ job_id: id }, 'running the test input');
    const result = await service.handle({ id, input: job.input }, { signal: abort.signal });
    process.stdout.write(JSON.stringify(result) + '\n');
    if (signalled) return signalExitCode(signalled);
    return 'error' in result ? 1 : 0;
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}

type Status = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
interface Entry {
  id: string;
  /** The job's input until it starts (the handler holds it while it runs; dropped here). */
  input?: unknown;
  status: Status;
  result?: JobResult;
  /** Size of the result as JSON (for the bound on what finished jobs keep). */
  resultBytes: number;
  /** Whether a client has been told the result (a /status or /runsync answer). */
  reported: boolean;
  abort: AbortController;
  /** Resolves once the job has its result. */
  done: Promise<void>;
  settle: () => void;
}

/**
 * What --rp_serve_api keeps of finished jobs: their statuses, at most `maxFinished` of them and
 * `maxFinishedBytes` of results together; past either, the oldest are dropped (404 on /status).
 */
export interface LocalApiOptions {
  maxFinished?: number;
  maxFinishedBytes?: number;
}
export const DEFAULT_MAX_FINISHED_JOBS = 1000;
export const DEFAULT_MAX_FINISHED_BYTES = 256 * 1024 * 1024;
/** After SIGTERM, how long at least a result finished during shutdown waits for its client to ask for it. */
export const REPORT_WAIT_MS = 5000;

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

/** The jobs of --rp_serve_api: one runs at a time, the others wait in order. */
class LocalJobs {
  readonly jobs = new Map<string, Entry>();
  private queue: Entry[] = [];
  running: Entry | undefined;
  stopping = false;
  /** Settles once the running job has its result. */
  idle: Promise<void> = Promise.resolve();
  /** Finished jobs, oldest first, and the size of their results together. */
  private finished: Entry[] = [];
  private finishedBytes = 0;
  private readonly maxFinished: number;
  private readonly maxFinishedBytes: number;

  constructor(private service: TranscriptionService, private log: Logger, opts: LocalApiOptions = {}) {
    this.maxFinished = opts.maxFinished ?? DEFAULT_MAX_FINISHED_JOBS;
    this.maxFinishedBytes = opts.maxFinishedBytes ?? DEFAULT_MAX_FINISHED_BYTES;
  }

  finish(e: Entry, result: JobResult): void {
    if (e.result) return;
    e.result = result;
    e.input = undefined;
    e.status = 'error' in result ? 'FAILED' : 'COMPLETED';
    e.resultBytes = JSON.stringify(result).length;
    e.settle();
    this.finished.push(e);
    this.finishedBytes += e.resultBytes;
    this.dropOldest();
  }

  /** Drops the oldest finished statuses past the bounds (the newest one is always kept). */
  private dropOldest(): void {
    while (this.finished.length > 1 && (this.finished.length > this.maxFinished || this.finishedBytes > this.maxFinishedBytes)) {
      const old = this.finished.shift()!;
      this.finishedBytes -= old.resultBytes;
      this.jobs.delete(old.id);
    }
  }

  /** The job's status as /status and /runsync answer it; a finished one counts as reported. */
  view(e: Entry): object {
    if (e.result) e.reported = true;
    return { id: e.id, status: e.status, ...(e.result ?? {}) };
  }

  /**
   * Waits (until `deadline`) for the results of `entries` to be reported: a job that finishes
   * during shutdown is not lost to a client that polls /status.
   */
  async reported(entries: Entry[], deadline: number): Promise<void> {
    while (entries.some((e) => !e.reported && this.jobs.has(e.id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private pump(): void {
    if (this.running || this.stopping) return;
    const next = this.queue.shift();
    if (!next) return;
    this.running = next;
    next.status = 'IN_PROGRESS';
    const input = next.input;
    next.input = undefined;
    this.idle = (async () => {
      const result = await this.service.handle({ id: next.id, input }, { signal: next.abort.signal });
      this.finish(next, result);
      this.running = undefined;
      this.pump();
    })();
  }

  submit(input: unknown): Entry {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const entry: Entry = { id: `local-${randomUUID()}`, input, status: 'IN_QUEUE', resultBytes: 0, reported: false, abort: new AbortController(), done, settle };
    this.jobs.set(entry.id, entry);
    this.queue.push(entry);
    this.pump();
    return entry;
  }

  /** How many jobs are in each status. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.jobs.values()) counts[e.status] = (counts[e.status] ?? 0) + 1;
    return counts;
  }

  cancelRunning(): void {
    const job = this.running;
    if (job && !job.abort.signal.aborted) {
      this.log.warn({ job_id: job.id }, 'cancelling the running job');
      job.abort.abort(new JobCancelled('the worker was shut down before it finished'));
    }
  }

  /** The jobs not finished yet (running or queued). */
  unfinished(): Entry[] {
    return [...this.jobs.values()].filter((e) => !e.result);
  }

  /** Fails the jobs not started yet. */
  failQueued(): void {
    for (const e of this.queue.splice(0)) {
      this.log.info({ job_id: e.id }, 'shutting down: failing a queued job');
      this.finish(e, { error: 'worker is shutting down: the job was not started' });
    }
  }

  /**
   * Lets the running job (if any) finish within `graceMs`, then cancels it; resolves to false if
   * it did not stop within CANCEL_WAIT_MS of its cancellation (it is then failed).
   */
  async stopRunning(graceMs: number): Promise<boolean> {
    const job = this.running;
    if (!job) return true;
    this.log.info({ job_id: job.id, grace_ms: graceMs }, `shutting down: the running job has ${graceMs} ms to finish`);
    const timers: NodeJS.Timeout[] = [];
    const ended = this.idle.then(() => true);
    // The grace period ends early if the job is cancelled meanwhile (a second signal).
    const graceOver = new Promise<void>((resolve) => {
      timers.push(setTimeout(resolve, graceMs));
      job.abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([ended, graceOver]);
    if (this.running === job && !job.abort.signal.aborted) {
      this.log.warn({ job_id: job.id }, 'grace period over');
      this.cancelRunning();
    }
    const gaveUp = new Promise<boolean>((resolve) => timers.push(setTimeout(() => resolve(false), CANCEL_WAIT_MS)));
    const stopped = await Promise.race([ended, gaveUp]);
    for (const t of timers) clearTimeout(t);
    if (!stopped) {
      this.log.error({ job_id: job.id }, `the running job did not stop within ${CANCEL_WAIT_MS} ms of its cancellation`);
      this.finish(job, { error: 'job cancelled: the worker was shut down before it finished' });
    }
    return stopped;
  }
}

const SHUTTING_DOWN = 'the worker is shutting down and takes no new jobs';

/** Writes a JSON answer, unless one was sent already; while stopping, with `connection: close`. */
type Send = (code: number, body: unknown) => void;

/** Routes one request of --rp_serve_api: GET /health, GET /status/{id}, POST /run and /runsync. */
function handleRequest(jobs: LocalJobs, limit: BodyLimit, req: http.IncomingMessage, res: http.ServerResponse): void {
  const send: Send = (code, body) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(code, { 'content-type': 'application/json', ...(jobs.stopping ? { connection: 'close' } : {}) });
    res.end(JSON.stringify(body));
  };
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/health') {
    const counts = jobs.counts();
    return jobs.stopping ? send(503, { status: 'shutting_down', jobs: counts }) : send(200, { status: 'ok', jobs: counts });
  }
  const status = /^\/status\/([\w-]+)$/.exec(url.pathname);
  if (req.method === 'GET' && status) {
    const e = jobs.jobs.get(status[1]);
    return e ? send(200, jobs.view(e)) : send(404, { error: `no job ${status[1]}` });
  }
  if (req.method === 'POST' && (url.pathname === '/run' || url.pathname === '/runsync')) {
    if (jobs.stopping) {
      req.resume();
      return send(503, { error: SHUTTING_DOWN });
    }
    readBody(req, res, limit, (body) => acceptJob(jobs, url.pathname === '/runsync', body, send));
    return;
  }
  send(404, { error: `no route ${req.method} ${url.pathname}` });
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
 * Queues the job in a /run or /runsync body; /run answers its id at once, /runsync its result.
 * Nothing here holds the body or the input while a /runsync waits (the entry drops its input).
 */
function acceptJob(jobs: LocalJobs, sync: boolean, raw: Buffer, send: Send): void {
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
  void entry.done.then(() => send(200, jobs.view(entry)));
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

/** An HTTP API like runpod-python's --rp_serve_api, for trying the worker without RunPod. */
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
      log.info({ host, port }, `serving /run, /runsync, /status/{id} and /health on http://${host}:${port}`);
      resolve({ server, shutdown, cancelRunning: () => jobs.cancelRunning() });
    });
  });
}
