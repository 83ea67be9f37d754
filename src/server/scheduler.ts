// Runs the requests of a server on its models. With batching on, requests that wait together
// (gathered for `gatherMs`) and can share batches (same model, batch size and batched decoding
// settings: batchKey) go to the engine in one call, their speech chunks decoded in shared
// batches (WhisperModel.transcribeTogether); with it off, one request per call. One call runs at
// a time, in order, except that priority jobs (live sessions' decodings) go ahead of the others
// waiting; the queue is bounded (admit() refuses past `maxQueue` with a 429 and Retry-After), and
// a request whose signal aborts (its client left) leaves the queue, or stops in the engine.
// The queue is also bounded by the bytes of the uploads it holds (`maxQueueBytes`), and an upload
// is decoded only when its call is formed, not while it waits: a call takes decoded audio up to
// `maxCallAudioSeconds` (its first request whatever its length), and drops it when it ends.
import { SAMPLE_RATE } from '../audio.js';
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
  /** Upload bytes admitted at once (a request alone may exceed it); more get a 429. */
  maxQueueBytes: number;
  /** Decoded audio one engine call takes, in seconds (its first request is taken whatever its length). */
  maxCallAudioSeconds: number;
  /** The most requests one engine call takes. */
  maxRequestsPerCall: number;
}

export interface Job {
  model: ServedModel;
  /** The upload decoded to 16 kHz samples: called when the job's call is formed, not while it waits. */
  decode: () => Promise<Float32Array>;
  /** Called once its samples are in a call (the upload may then be let go; until then it may be decoded again). */
  taken?: () => void;
  /** Options with the call's signal, onSegment and onProgress. */
  options: TranscribeOptions;
  batchSize?: number;
  /**
   * Runs in a call of its own, through WhisperModel.transcribe: the sequential pipeline
   * (vad_filter=false), or a request with diarization (batched on its own when the VAD is on).
   */
  alone: boolean;
  /** Goes ahead of the waiting jobs without it (a live session's decodings: someone waits for each word). */
  priority?: boolean;
}

interface Waiting {
  job: Job;
  key: string;
  /** Seconds of its audio, once decoded (a request left for a later call is decoded again then). */
  seconds?: number;
  resolve: (t: Transcription) => void;
  reject: (e: Error) => void;
  unhook: () => void;
}

export interface SchedulerStats {
  batching: boolean;
  admitted: number;
  waiting: number;
  max_queue: number;
  /** Upload bytes admitted (held by waiting and running requests), and the bound. */
  queued_bytes: number;
  max_queue_bytes: number;
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
  private admittedBytes = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private requests = 0;
  private engineCalls = 0;

  constructor(private readonly models: ModelRegistry, readonly options: SchedulerOptions) {}

  /**
   * Takes a place in the queue for a request whose upload (read whole) has `bytes`, or throws a
   * 429; call the returned release when the request is done.
   */
  admit(bytes = 0): () => void {
    const busy = (why: string) => new ApiError(429, `the server is busy: ${why}; retry shortly`, 'rate_limit_error', null, 'rate_limit_exceeded', { 'retry-after': '1' });
    if (this.admitted >= this.options.maxQueue) {
      throw busy(`${this.admitted} requests are queued or running (at most ${this.options.maxQueue})`);
    }
    if (this.admitted > 0 && this.admittedBytes + bytes > this.options.maxQueueBytes) {
      throw busy(`the queued uploads hold ${this.admittedBytes} bytes, and ${bytes} more would pass the limit of ${this.options.maxQueueBytes} (--max-queue-bytes)`);
    }
    this.admitted++;
    this.admittedBytes += bytes;
    let released = false;
    return () => {
      if (!released) {
        this.admitted--;
        this.admittedBytes -= bytes;
      }
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
      const after = job.priority ? this.waiting.findIndex((w) => !w.job.priority) : -1;
      if (after >= 0) this.waiting.splice(after, 0, entry);
      else this.waiting.push(entry);
      this.schedule();
    });
  }

  stats(): SchedulerStats {
    return {
      batching: this.options.batching,
      admitted: this.admitted,
      waiting: this.waiting.length,
      max_queue: this.options.maxQueue,
      queued_bytes: this.admittedBytes,
      max_queue_bytes: this.options.maxQueueBytes,
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

  /** Takes `w` out of the queue (it is in a call, or failed). */
  private remove(w: Waiting): void {
    this.waiting = this.waiting.filter((x) => x !== w);
    w.unhook();
  }

  /**
   * The next call, decoded: the first waiting request and, with batching, those that may share
   * its batches, while their audio fits in maxCallAudioSeconds. Uploads are decoded here, one at
   * a time; one that does not decode is answered at once, one that does not fit waits for a later
   * call (its samples dropped), and one whose client left while it decoded is skipped.
   */
  private async takeGroup(): Promise<Array<{ w: Waiting; audio: Float32Array }>> {
    const first = this.waiting[0];
    const candidates = this.options.batching && !first.job.alone ? this.waiting.filter((w) => w.key === first.key) : [first];
    const group: Array<{ w: Waiting; audio: Float32Array }> = [];
    let seconds = 0;
    for (const w of candidates) {
      if (group.length >= this.options.maxRequestsPerCall) break;
      if (!this.waiting.includes(w)) continue;
      if (group.length && w.seconds !== undefined && seconds + w.seconds > this.options.maxCallAudioSeconds) continue;
      let audio: Float32Array;
      try {
        audio = await w.job.decode();
      } catch (e) {
        if (this.waiting.includes(w)) {
          this.remove(w);
          this.requests++;
          w.reject(e as Error);
        }
        continue;
      }
      if (!this.waiting.includes(w)) continue; // its client left, or the server is closing
      w.seconds = audio.length / SAMPLE_RATE;
      if (group.length && seconds + w.seconds > this.options.maxCallAudioSeconds) continue;
      this.remove(w);
      w.job.taken?.();
      group.push({ w, audio });
      seconds += w.seconds;
    }
    return group;
  }

  private async runNext(): Promise<void> {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    let group: Array<{ w: Waiting; audio: Float32Array }> = [];
    try {
      group = await this.takeGroup();
      if (group.length) await this.runGroup(group);
    } catch (e) {
      for (const { w } of group) w.reject(e as Error);
    } finally {
      this.requests += group.length;
      // The samples go with the call.
      group.length = 0;
      this.running = false;
      this.schedule();
    }
  }

  /** One engine call for a group; each request is answered with its own result or error. */
  private async runGroup(group: Array<{ w: Waiting; audio: Float32Array }>): Promise<void> {
    const first = group[0].w.job;
    const model = await this.models.get(first.model);
    this.engineCalls++;
    let results: Array<Transcription | Error>;
    if (first.alone) {
      const options = first.options.vadFilter === false ? first.options : { ...first.options, batchSize: first.batchSize };
      results = [await model.transcribe(group[0].audio, options).catch((e: Error) => e)];
    } else {
      results = await model.transcribeTogether(group.map(({ w, audio }) => ({ audio, options: w.job.options })), first.batchSize!);
    }
    results.forEach((r, i) => (r instanceof Error ? group[i].w.reject(r) : group[i].w.resolve(r)));
  }

  /** Stops taking work: what waits is refused. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiting.splice(0)) w.reject(new ApiError(503, 'the server is shutting down', 'server_error'));
  }
}
