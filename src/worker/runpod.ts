// RunPod's serverless worker protocol, as runpod-python speaks it: take jobs from
// RUNPOD_WEBHOOK_GET_JOB, post results to RUNPOD_WEBHOOK_POST_OUTPUT (with retries), progress as
// IN_PROGRESS results and segments to RUNPOD_WEBHOOK_POST_STREAM, heartbeats to
// RUNPOD_WEBHOOK_PING, stop signals from the job-stop channel, and a graceful SIGTERM.
import { JobCancelled, type TranscriptionService, type Job, type JobResult } from './handler.js';
import type { Logger } from './logger.js';
import type { Env } from '../env.js';
import { CANCEL_WAIT_MS } from './local.js';

export const PROTOCOL_VERSION = 'ct2-whisper/0.1.0';

export interface RunpodEnv {
  workerId: string;
  jobTakeUrl: string;
  outputUrl: string;
  streamUrl?: string;
  pingUrl?: string;
  pingIntervalMs: number;
  apiKey: string;
  /** Pause after "no job" (204/400), after 429, and the cap of the back-off after errors. */
  idleDelayMs: number;
  throttleDelayMs: number;
  maxBackoffMs: number;
  /** How long SIGTERM waits for the job in hand before cancelling it. */
  shutdownGraceMs: number;
  progressIntervalMs: number;
}

export const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;

/** SHUTDOWN_GRACE_MS: milliseconds (0 or more); a value that is not one is refused by name. */
export function shutdownGraceMs(env: Env): number {
  const raw = env.SHUTDOWN_GRACE_MS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SHUTDOWN_GRACE_MS;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 3_600_000) {
    throw new Error(`SHUTDOWN_GRACE_MS must be a number of milliseconds from 0 to 3600000, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function runpodEnv(env: Env): RunpodEnv | undefined {
  if (!env.RUNPOD_WEBHOOK_GET_JOB) return undefined;
  const workerId = env.RUNPOD_POD_ID || `local-${process.pid}`;
  const num = (k: string, d: number) => (Number(env[k]) > 0 ? Number(env[k]) : d);
  return {
    workerId,
    jobTakeUrl: env.RUNPOD_WEBHOOK_GET_JOB.replace('$ID', workerId),
    outputUrl: (env.RUNPOD_WEBHOOK_POST_OUTPUT || '').replace('$RUNPOD_POD_ID', workerId),
    streamUrl: env.RUNPOD_WEBHOOK_POST_STREAM?.replace('$RUNPOD_POD_ID', workerId),
    pingUrl: env.RUNPOD_WEBHOOK_PING?.replace('$RUNPOD_POD_ID', workerId),
    pingIntervalMs: num('RUNPOD_PING_INTERVAL', 10_000),
    apiKey: env.RUNPOD_AI_API_KEY || '',
    idleDelayMs: num('RUNPOD_IDLE_DELAY_MS', 1000),
    throttleDelayMs: num('RUNPOD_THROTTLE_DELAY_MS', 5000),
    maxBackoffMs: num('RUNPOD_MAX_BACKOFF_MS', 30_000),
    shutdownGraceMs: shutdownGraceMs(env),
    progressIntervalMs: num('PROGRESS_INTERVAL_MS', 5000),
  };
}

/**
 * A handler's result as runpod-python posts it (serverless/modules/rp_job.py, run_job): the
 * handler's `refresh_worker` becomes `stopPod: true`, which asks RunPod to replace this worker
 * once the job is reported; the rest is posted as it is.
 */
export function runpodJobResult(result: JobResult): Record<string, unknown> {
  if ('error' in result) {
    const { refresh_worker: refresh, ...rest } = result;
    return refresh ? { ...rest, stopPod: true } : rest;
  }
  return result;
}

function withQuery(url: string, params: Record<string, string>): string {
  const q = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return url + (url.includes('?') ? '&' : '?') + q;
}

/**
 * Waits `ms`, or until `signal` aborts. The abort listener is removed when the time is up: the
 * poll loops call this on the worker's long-lived stop signal thousands of times an hour, and a
 * listener left behind each time is a leak (Node warns at 11: MaxListenersExceededWarning).
 */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * A signal for one request: aborts with `parent` or after `ms`. dispose() removes its listener
 * on `parent` and its timer (AbortSignal.any over a long-lived signal keeps a reference per call
 * until the garbage collector runs; this keeps nothing).
 */
export function requestSignal(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void } {
  const c = new AbortController();
  const onAbort = () => c.abort(parent.reason);
  if (parent.aborted) c.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => c.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  timer.unref();
  return {
    signal: c.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

export class RunpodWorker {
  private stopping = new AbortController();
  private current?: { id: string; abort: AbortController };
  private finished?: Promise<void>;

  constructor(private service: TranscriptionService, private env: RunpodEnv, private log: Logger) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { Authorization: this.env.apiKey, 'User-Agent': PROTOCOL_VERSION, ...extra };
  }

  /** Whether the job in hand stopped (or there was none); false if it outlived its cancellation. */
  stoppedCleanly = true;

  /**
   * Runs until SIGTERM/SIGINT (or stop()); resolves once the job in hand is reported. A second
   * signal cancels the job in hand without waiting for the rest of the grace period.
   */
  run(): Promise<void> {
    const onSignal = (sig: NodeJS.Signals) => {
      if (this.stopping.signal.aborted) {
        this.log.warn({ signal: sig }, 'second signal: cancelling the job in hand now');
        this.cancelCurrent();
        return;
      }
      this.log.info({ signal: sig, grace_ms: this.env.shutdownGraceMs }, 'shutting down');
      this.stop();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const ping = this.env.pingUrl ? setInterval(() => void this.ping(), this.env.pingIntervalMs) : undefined;
    if (this.env.pingUrl) void this.ping();
    const stopWatch = this.watchStops();
    this.finished = (async () => {
      try {
        await this.takeLoop();
      } finally {
        if (ping) clearInterval(ping);
        await stopWatch.catch(() => undefined);
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    })();
    return this.finished;
  }

  /** Stops taking jobs; the job in hand gets the grace period, then is cancelled. */
  stop(): void {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    const job = this.current;
    if (job) {
      setTimeout(() => {
        if (this.current === job) {
          this.log.warn({ job_id: job.id }, 'grace period over: cancelling the job in hand');
          this.cancelCurrent();
        }
      }, this.env.shutdownGraceMs).unref();
    }
  }

  private cancelCurrent(): void {
    const job = this.current;
    if (job && !job.abort.signal.aborted) job.abort.abort(new JobCancelled('the worker was shut down before it finished'));
  }

  private async takeLoop(): Promise<void> {
    let backoff = 1000;
    while (!this.stopping.signal.aborted) {
      let jobs: Job[] | undefined;
      const request = requestSignal(this.stopping.signal, 120_000);
      try {
        const res = await fetch(withQuery(this.env.jobTakeUrl, { job_in_progress: this.current ? '1' : '0' }), {
          headers: this.headers(),
          signal: request.signal,
        });
        if (res.status === 204 || res.status === 400) {
          await res.body?.cancel();
          await sleep(this.env.idleDelayMs, this.stopping.signal);
          continue;
        }
        if (res.status === 429) {
          await res.body?.cancel();
          this.log.warn('job-take: 429, backing off');
          await sleep(this.env.throttleDelayMs, this.stopping.signal);
          continue;
        }
        if (!res.ok) throw new Error(`job-take answered HTTP ${res.status}`);
        const body = (await res.json()) as unknown;
        jobs = (Array.isArray(body) ? body : [body]).filter((j): j is Job => {
          const ok = !!j && typeof j === 'object' && typeof (j as Job).id === 'string' && 'input' in (j as object);
          // Its keys only: a job's input may hold a secret (huggingface_access_token).
          if (!ok) this.log.warn({ keys: j && typeof j === 'object' ? Object.keys(j) : typeof j }, 'job-take: a job without id or input, skipped');
          return ok;
        });
        backoff = 1000;
      } catch (e) {
        if (this.stopping.signal.aborted) break;
        this.log.warn({ err: (e as Error).message, retry_ms: backoff }, 'job-take failed');
        await sleep(backoff, this.stopping.signal);
        backoff = Math.min(backoff * 2, this.env.maxBackoffMs);
        continue;
      } finally {
        request.dispose();
      }
      for (const job of jobs) {
        if (this.stopping.signal.aborted) {
          // Taken in the same batch but not started: fail it clearly rather than run it now.
          this.log.info({ job_id: job.id }, 'shutting down: failing a job that was not started');
          await this.post(this.env.outputUrl, job.id, { error: 'worker is shutting down: the job was not started' }, false, 3);
          continue;
        }
        await this.runJob(job);
      }
    }
  }

  private async runJob(job: Job): Promise<void> {
    const abort = new AbortController();
    this.current = { id: job.id, abort };
    let lastProgress = 0;
    let result: JobResult;
    // Once cancelled, the job has CANCEL_WAIT_MS to stop; past that it is reported and left.
    let giveUpTimer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<JobResult>((resolve) => {
      abort.signal.addEventListener('abort', () => {
        giveUpTimer = setTimeout(() => {
          this.stoppedCleanly = false;
          this.log.error({ job_id: job.id }, `the job did not stop within ${CANCEL_WAIT_MS} ms of its cancellation`);
          resolve({ error: 'job cancelled: the worker was shut down before it finished' });
        }, CANCEL_WAIT_MS);
      }, { once: true });
    });
    try {
      const handled = this.service.handle(job, {
        signal: abort.signal,
        onProgress: (done, total) => {
          const now = Date.now();
          if (now - lastProgress < this.env.progressIntervalMs) return;
          lastProgress = now;
          void this.post(this.env.outputUrl, job.id, { status: 'IN_PROGRESS', output: { progress: { seconds_done: done, seconds_total: total } } }, false, 1);
        },
        onSegment: this.env.streamUrl
          ? (segment) => void this.post(this.env.streamUrl!, job.id, { output: { segment } }, false, 1)
          : undefined,
      });
      result = await Promise.race([handled, gaveUp]);
    } finally {
      if (giveUpTimer) clearTimeout(giveUpTimer);
      this.current = undefined;
    }
    if ('error' in result && result.refresh_worker) {
      this.log.error({ job_id: job.id }, 'worker fault: the result asks RunPod to replace this worker (stopPod)');
    }
    await this.post(this.env.outputUrl, job.id, runpodJobResult(result), false, 3);
  }

  /** POSTs a result as runpod-python does (JSON body, $ID and isStream in the URL), with retries. */
  private async post(template: string, id: string, data: unknown, isStream: boolean, attempts: number): Promise<void> {
    const url = withQuery(template.replace('$ID', encodeURIComponent(id)), { isStream: String(isStream) });
    const delays = [1000, 1000, 2000, 3000, 5000];
    for (let i = 0; i < attempts; i++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: this.headers({ 'Content-Type': 'application/x-www-form-urlencoded', charset: 'utf-8', 'X-Request-ID': id }),
          body: JSON.stringify(data),
          signal: AbortSignal.timeout(30_000),
        });
        await res.body?.cancel();
        if (res.ok) return;
        throw new Error(`HTTP ${res.status}`);
      } catch (e) {
        this.log.warn({ job_id: id, err: (e as Error).message, attempt: i + 1 }, 'posting the result failed');
        if (i + 1 < attempts) await sleep(delays[i]);
      }
    }
    this.log.error({ job_id: id }, 'could not deliver the result');
  }

  private async ping(): Promise<void> {
    try {
      const params: Record<string, string> = { runpod_version: PROTOCOL_VERSION };
      if (this.current) params.job_id = this.current.id;
      const res = await fetch(withQuery(this.env.pingUrl!, params), { headers: this.headers(), signal: AbortSignal.timeout(this.env.pingIntervalMs * 2) });
      await res.body?.cancel();
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, 'ping failed');
    }
  }

  /** Long-polls the job-stop channel (derived from the job-take URL) and cancels what it names. */
  private async watchStops(): Promise<void> {
    if (!this.env.jobTakeUrl.includes('/job-take/')) return;
    const url = this.env.jobTakeUrl.replace('/job-take/', '/job-stop/');
    while (!this.stopping.signal.aborted) {
      const request = requestSignal(this.stopping.signal, 90_000);
      try {
        const res = await fetch(url, { headers: this.headers(), signal: request.signal });
        if (res.status === 200 && (res.headers.get('content-type') || '').includes('application/json')) {
          const body = (await res.json()) as { jobsToStop?: unknown };
          const ids = Array.isArray(body.jobsToStop) ? body.jobsToStop.filter((x): x is string => typeof x === 'string') : [];
          for (const id of ids) {
            if (this.current?.id === id) {
              this.log.info({ job_id: id }, 'stop signal: cancelling the job');
              this.current.abort.abort(new JobCancelled('RunPod asked to stop it'));
            }
          }
          if (!ids.length) await sleep(this.env.idleDelayMs, this.stopping.signal);
        } else {
          await res.body?.cancel();
          await sleep(res.status === 429 ? this.env.throttleDelayMs : this.env.idleDelayMs, this.stopping.signal);
        }
      } catch {
        await sleep(this.env.idleDelayMs, this.stopping.signal);
      } finally {
        request.dispose();
      }
    }
  }
}
