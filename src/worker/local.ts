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
  input: unknown;
  status: Status;
  result?: JobResult;
  abort: AbortController;
  /** Resolves once the job has its result. */
  done: Promise<void>;
  settle: () => void;
}

export interface LocalApi {
  server: http.Server;
  /**
   * Stops accepting jobs (503), fails the queued ones, lets the running one finish within
   * `graceMs` and then cancels it, answers every waiting request and closes the server.
   * Resolves to false if the running job did not stop within CANCEL_WAIT_MS of its cancellation.
   */
  shutdown(graceMs: number): Promise<boolean>;
  /** Cancels the running job now (a second signal during shutdown). */
  cancelRunning(): void;
}

/** An HTTP API like runpod-python's --rp_serve_api, for trying the worker without RunPod. */
export function serveApi(service: TranscriptionService, port: number, host: string, log: Logger): Promise<LocalApi> {
  const jobs = new Map<string, Entry>();
  const queue: Entry[] = [];
  let running: Entry | undefined;
  let stopping = false;
  let idle: Promise<void> = Promise.resolve();
  const openRequests = new Set<http.ServerResponse>();

  const finish = (e: Entry, result: JobResult) => {
    e.result = result;
    e.status = 'error' in result ? 'FAILED' : 'COMPLETED';
    e.settle();
  };
  const pump = () => {
    if (running || stopping) return;
    const next = queue.shift();
    if (!next) return;
    running = next;
    next.status = 'IN_PROGRESS';
    idle = (async () => {
      const result = await service.handle({ id: next.id, input: next.input }, { signal: next.abort.signal });
      finish(next, result);
      running = undefined;
      pump();
    })();
  };
  const submit = (input: unknown): Entry => {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const entry: Entry = { id: `local-${randomUUID()}`, input, status: 'IN_QUEUE', abort: new AbortController(), done, settle };
    jobs.set(entry.id, entry);
    queue.push(entry);
    pump();
    return entry;
  };
  const view = (e: Entry) => ({ id: e.id, status: e.status, ...(e.result ?? {}) });
  const maxBody = maxRequestBytes(service.config.limits.maxBytes);
  const tooLarge = `the request body is larger than ${maxBody} bytes (MAX_AUDIO_BYTES=${service.config.limits.maxBytes} of audio as base64, and 1 MiB for the other fields)`;
  const SHUTTING_DOWN = 'the worker is shutting down and takes no new jobs';

  const server = http.createServer((req, res) => {
    openRequests.add(res);
    res.on('close', () => openRequests.delete(res));
    const send = (code: number, body: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(code, { 'content-type': 'application/json', ...(stopping ? { connection: 'close' } : {}) });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') {
      const counts: Record<string, number> = {};
      for (const e of jobs.values()) counts[e.status] = (counts[e.status] ?? 0) + 1;
      return stopping ? send(503, { status: 'shutting_down', jobs: counts }) : send(200, { status: 'ok', jobs: counts });
    }
    const status = /^\/status\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && status) {
      const e = jobs.get(status[1]);
      return e ? send(200, view(e)) : send(404, { error: `no job ${status[1]}` });
    }
    if (req.method === 'POST' && (url.pathname === '/run' || url.pathname === '/runsync')) {
      if (stopping) {
        req.resume();
        return send(503, { error: SHUTTING_DOWN });
      }
      // The body is bounded by MAX_AUDIO_BYTES: refused by its declared length, or once it passes the bound.
      const declared = Number(req.headers['content-length']);
      const refuse = () => {
        if (res.headersSent) return;
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: tooLarge }));
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
      req.on('end', async () => {
        if (over) return;
        if (stopping) return send(503, { error: SHUTTING_DOWN });
        let body: { input?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(400, { error: 'the request body is not JSON' });
        }
        if (!body || typeof body !== 'object' || !('input' in body)) return send(400, { error: 'the request has no "input" field' });
        const entry = submit(body.input);
        if (url.pathname === '/run') return send(200, { id: entry.id, status: entry.status });
        await entry.done;
        send(200, view(entry));
      });
      return;
    }
    send(404, { error: `no route ${req.method} ${url.pathname}` });
  });

  const cancelRunning = () => {
    const job = running;
    if (job && !job.abort.signal.aborted) {
      log.warn({ job_id: job.id }, 'cancelling the running job');
      job.abort.abort(new JobCancelled('the worker was shut down before it finished'));
    }
  };

  const shutdown = async (graceMs: number): Promise<boolean> => {
    if (stopping) return true;
    stopping = true;
    for (const e of queue.splice(0)) {
      log.info({ job_id: e.id }, 'shutting down: failing a queued job');
      finish(e, { error: 'worker is shutting down: the job was not started' });
    }
    let stopped = true;
    const job = running;
    if (job) {
      log.info({ job_id: job.id, grace_ms: graceMs }, `shutting down: the running job has ${graceMs} ms to finish`);
      const timers: NodeJS.Timeout[] = [];
      const ended = idle.then(() => true);
      // The grace period ends early if the job is cancelled meanwhile (a second signal).
      const graceOver = new Promise<void>((resolve) => {
        timers.push(setTimeout(resolve, graceMs));
        job.abort.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([ended, graceOver]);
      if (running === job && !job.abort.signal.aborted) {
        log.warn({ job_id: job.id }, 'grace period over');
        cancelRunning();
      }
      const gaveUp = new Promise<boolean>((resolve) => timers.push(setTimeout(() => resolve(false), CANCEL_WAIT_MS)));
      stopped = await Promise.race([ended, gaveUp]);
      for (const t of timers) clearTimeout(t);
      if (!stopped) {
        log.error({ job_id: job.id }, `the running job did not stop within ${CANCEL_WAIT_MS} ms of its cancellation`);
        finish(job, { error: 'job cancelled: the worker was shut down before it finished' });
      }
    }
    // Let the answers to waiting /runsync requests go out, then close every connection.
    const flushBy = Date.now() + 2000;
    while (openRequests.size && Date.now() < flushBy) await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return stopped;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      log.info({ host, port }, `serving /run, /runsync, /status/{id} and /health on http://${host}:${port}`);
      resolve({ server, shutdown, cancelRunning });
    });
  });
}
