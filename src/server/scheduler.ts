// Runs the requests of a server on its models. With batching on, requests that wait together
// (gathered for `gatherMs`) and can share batches (same model, batch size and batched decoding
// settings: batchKey) go to the engine in one call, their speech chunks decoded in shared
// batches (WhisperModel.transcribeTogether); with it off, one request per call. One call runs at
// a time; the queue is bounded (admit() refuses past `maxQueue` with a 429 and Retry-After), and
// a request whose signal aborts (its client left) leaves the queue, or stops in the engine.
import { batchKey, type Transcription, type TranscribeOptions } from '../model.js';
import { abortError } from '../errors.js';
import { native } from '../native.js';
import { ApiError } from './openai-errors.js';
import type { ModelRegistry, ServedModel } from './models.js';

export interface SchedulerOptions {
  batching: boolean;
  /** Chunks per encoder batch, unless a request gives its own. */
  batchSize: number;
  /** How long the first waiting request waits for others to join its call. */
  gatherMs: number;
  /** Requests admitted at once (waiting, decoding or running); more get a 429. */
  maxQueue: number;
  /** The most requests one engine call takes. */
  maxRequestsPerCall: number;
}

export interface Job {
  model: ServedModel;
  audio: Float32Array;
  /** Options with the call's signal, onSegment and onProgress. */
  options: TranscribeOptions;
  batchSize?: number;
  /**
   * Runs in a call of its own, through WhisperModel.transcribe: the sequential pipeline
   * (vad_filter=false), or a request with diarization (batched on its own when the VAD is on).
   */
  alone: boolean;
}

interface Waiting {
  job: Job;
  key: string;
  resolve: (t: Transcription) => void;
  reject: (e: Error) => void;
  unhook: () => void;
}

export interface SchedulerStats {
  batching: boolean;
  admitted: number;
  waiting: number;
  max_queue: number;
  /** Requests answered by the engine (successfully or not). */
  requests: number;
  /** Engine calls made. */
  engine_calls: number;
  /** Encoder batches the batched pipeline ran in this process. */
  encoder_batches: number;
}

export class Scheduler {
  private waiting: Waiting[] = [];
  private admitted = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private requests = 0;
  private engineCalls = 0;

  constructor(private readonly models: ModelRegistry, readonly options: SchedulerOptions) {}

  /** Takes a place in the queue for a request, or throws a 429; call the returned release when the request is done. */
  admit(): () => void {
    if (this.admitted >= this.options.maxQueue) {
      throw new ApiError(429, `the server is busy: ${this.admitted} requests are queued or running (at most ${this.options.maxQueue}); retry shortly`, 'rate_limit_error', null, 'rate_limit_exceeded', { 'retry-after': '1' });
    }
    this.admitted++;
    let released = false;
    return () => {
      if (!released) this.admitted--;
      released = true;
    };
  }

  /** Transcribes a job when its turn comes. */
  submit(job: Job): Promise<Transcription> {
    const signal = job.options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const batchSize = job.batchSize ?? this.options.batchSize;
    const key = job.alone ? `alone:${Math.random()}` : `${job.model.id}|${batchSize}|${batchKey(job.options)}`;
    return new Promise((resolve, reject) => {
      const entry: Waiting = { job: { ...job, batchSize }, key, resolve, reject, unhook: () => {} };
      if (signal) {
        const onAbort = () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            reject(abortError(signal));
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.unhook = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiting.push(entry);
      this.schedule();
    });
  }

  stats(): SchedulerStats {
    return {
      batching: this.options.batching,
      admitted: this.admitted,
      waiting: this.waiting.length,
      max_queue: this.options.maxQueue,
      requests: this.requests,
      engine_calls: this.engineCalls,
      encoder_batches: native().encoderBatches(),
    };
  }

  private schedule(): void {
    if (this.running || this.timer || this.waiting.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runNext();
    }, this.options.batching ? this.options.gatherMs : 0);
  }

  /** The next call: the first waiting request and, with batching, those that may share its batches. */
  private takeGroup(): Waiting[] {
    const first = this.waiting[0];
    const group = this.options.batching && !first.job.alone
      ? this.waiting.filter((w) => w.key === first.key).slice(0, this.options.maxRequestsPerCall)
      : [first];
    this.waiting = this.waiting.filter((w) => !group.includes(w));
    for (const w of group) w.unhook();
    return group;
  }

  private async runNext(): Promise<void> {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const group = this.takeGroup();
    try {
      const first = group[0].job;
      const model = await this.models.get(first.model);
      this.engineCalls++;
      let results: Array<Transcription | Error>;
      if (first.alone) {
        const options = first.options.vadFilter === false ? first.options : { ...first.options, batchSize: first.batchSize };
        results = [await model.transcribe(first.audio, options).catch((e: Error) => e)];
      } else {
        results = await model.transcribeTogether(group.map((w) => ({ audio: w.job.audio, options: w.job.options })), first.batchSize!);
      }
      results.forEach((r, i) => (r instanceof Error ? group[i].reject(r) : group[i].resolve(r)));
    } catch (e) {
      for (const w of group) w.reject(e as Error);
    } finally {
      this.requests += group.length;
      this.running = false;
      this.schedule();
    }
  }

  /** Stops taking work: what waits is refused. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiting.splice(0)) w.reject(new ApiError(503, 'the server is shutting down', 'server_error'));
  }
}
