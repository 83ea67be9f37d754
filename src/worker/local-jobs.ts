// The jobs of --rp_serve_api (local-api.ts serves them): one runs at a time, the others wait in
// order; each has RunPod's statuses (IN_QUEUE, IN_PROGRESS, COMPLETED, FAILED, CANCELLED), its
// streamed segments until a client reads them (/stream), and what RunPod's /status reports
// (delayTime, executionTime, output or error). Finished jobs are kept within bounds.
import { randomUUID } from 'node:crypto';
import { JobCancelled, type TranscriptionService, type JobResult } from './handler.js';
import type { Logger } from './logger.js';

/** After cancelling a job, how long to wait for its work to stop before giving up on it. */
export const CANCEL_WAIT_MS = 10_000;

export type Status = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
/** Statuses a job does not leave. */
const FINAL: ReadonlySet<Status> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export interface Entry {
  id: string;
  /** The job's input until it starts (the handler holds it while it runs; dropped here). */
  input?: unknown;
  status: Status;
  result?: JobResult;
  /** Size of the result and the unread stream as JSON (for the bound on what finished jobs keep). */
  resultBytes: number;
  /** Streamed output not read yet by /stream: `{ output: { segment } }` per segment, as RunPod's stream holds them. */
  stream: Array<{ output: unknown }>;
  /** Whether a client has been told the result (a /status, /stream or /runsync answer). */
  reported: boolean;
  abort: AbortController;
  /** When the job was submitted, started and ended (ms since the epoch), for delayTime and executionTime. */
  submittedAt: number;
  startedAt?: number;
  endedAt?: number;
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

/** The jobs of --rp_serve_api: one runs at a time, the others wait in order. */
export class LocalJobs {
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

  /** Records a job's result; a cancelled job stays CANCELLED whatever its work returned. */
  finish(e: Entry, result: JobResult): void {
    if (e.result) return;
    e.result = result;
    e.input = undefined;
    e.endedAt = Date.now();
    if (e.status !== 'CANCELLED') e.status = 'error' in result ? 'FAILED' : 'COMPLETED';
    e.resultBytes = JSON.stringify(result).length + JSON.stringify(e.stream).length;
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

  /** Whether the job has reached a status it does not leave. */
  isFinal(e: Entry): boolean {
    return FINAL.has(e.status);
  }

  /** RunPod's timing fields: ms queued (delayTime) and ms running (executionTime), once known. */
  private times(e: Entry): Record<string, number> {
    const out: Record<string, number> = {};
    if (e.startedAt !== undefined) out.delayTime = e.startedAt - e.submittedAt;
    if (e.startedAt !== undefined && e.endedAt !== undefined) out.executionTime = e.endedAt - e.startedAt;
    return out;
  }

  /** The job's status as RunPod's /status and /runsync answer it; a finished one counts as reported. */
  view(e: Entry): object {
    if (e.result) e.reported = true;
    const result = e.status === 'CANCELLED' ? {} : (e.result ?? {});
    return { id: e.id, status: e.status, ...this.times(e), ...result };
  }

  /** The job's stream as RunPod's /stream answers it: the chunks not read before, and the status (with the error of a failed job). */
  streamView(e: Entry): object {
    const stream = e.stream.splice(0);
    if (e.result && stream.length === 0) e.reported = true;
    const error = e.status === 'FAILED' && e.result && 'error' in e.result ? { error: e.result.error } : {};
    return { id: e.id, status: e.status, stream, ...error };
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
    next.startedAt = Date.now();
    const input = next.input;
    next.input = undefined;
    this.idle = (async () => {
      const result = await this.service.handle({ id: next.id, input }, {
        signal: next.abort.signal,
        onSegment: (segment) => next.stream.push({ output: { segment } }),
      });
      this.finish(next, result);
      this.running = undefined;
      this.pump();
    })();
  }

  submit(input: unknown): Entry {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const entry: Entry = {
      id: `local-${randomUUID()}`, input, status: 'IN_QUEUE', resultBytes: 0, stream: [], reported: false,
      abort: new AbortController(), submittedAt: Date.now(), done, settle,
    };
    this.jobs.set(entry.id, entry);
    this.queue.push(entry);
    this.pump();
    return entry;
  }

  /**
   * RunPod's /cancel: a queued job leaves the queue, a running one is stopped; either is CANCELLED
   * at once. A finished job is left as it is.
   */
  cancel(e: Entry): void {
    if (this.isFinal(e)) return;
    e.status = 'CANCELLED';
    this.log.info({ job_id: e.id }, 'cancelled by a client');
    if (this.running === e) {
      e.abort.abort(new JobCancelled('cancelled by a client'));
      return;
    }
    this.queue = this.queue.filter((q) => q !== e);
    this.finish(e, { error: 'job cancelled: cancelled by a client before it started' });
  }

  /** RunPod's /purge-queue: cancels every queued job; returns how many. */
  purgeQueue(): number {
    const queued = [...this.queue];
    for (const e of queued) this.cancel(e);
    return queued.length;
  }

  /** RunPod's /health: the jobs by status and the worker (idle or running). */
  health(): { jobs: Record<string, number>; workers: { idle: number; running: number } } {
    const jobs = { completed: 0, failed: 0, inProgress: 0, inQueue: 0, retried: 0 };
    const key: Partial<Record<Status, keyof typeof jobs>> = { COMPLETED: 'completed', FAILED: 'failed', IN_PROGRESS: 'inProgress', IN_QUEUE: 'inQueue' };
    for (const e of this.jobs.values()) {
      const k = key[e.status];
      if (k) jobs[k]++;
    }
    return { jobs, workers: { idle: this.running ? 0 : 1, running: this.running ? 1 : 0 } };
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
