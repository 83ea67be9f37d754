// One transcription job, from its `input` to its `output` (or `error`): validate, fetch the
// audio into a job directory, pick the model, transcribe, render and upload artifacts. The job
// directory is removed whatever happens, and a job that runs past JOB_TIMEOUT_S is stopped.
// A failure is the job's (its input, its model, its cancellation or time limit) or the worker's
// (the engine, a bug, the worker's own model, anything without a known code), decided by the
// error's `code` alone (failureOutcome); a worker fault is logged at error level and its result
// carries refresh_worker, so that RunPod replaces the worker.
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { WhisperModel, type TranscribeOptions, type Segment, type Transcription } from '../model.js';
import { checkJobModel, resolveJobModel, type ModelLocations } from '../model-path.js';
import { native } from '../native.js';
import { render, joinedText, toJsonObject } from '../formats.js';
import { renderText, type TextFormat } from './text-formats.js';
import { AbortError, TimeoutError, ModelError, ErrorCode } from '../errors.js';
import { hubCacheDir } from '../hub-download.js';
import { parseJobInput, JobInputError, speakerSamples, wantsDiarization, type JobInput } from './schema.js';
import { jobDiarizeSettings, jobOptions, jobSubtitleOptions } from './job-options.js';
import { optionsForFormats } from '../subtitles/index.js';
import { hasVadModel } from '../vad.js';
import type { SubtitleOptions } from '../options/index.js';
import { downloadAudio, saveBase64Audio } from './audio-source.js';
import { ArtifactStore, type Artifact, type UploadedArtifact } from './storage.js';
import { CPU_MAX_BATCH_SIZE, DEFAULT_WORKER_MODEL, type WorkerConfig } from './config.js';
import { cachedModels } from './cached-models.js';
import { fitOutput, previewOutput, shrinkPreview } from './result.js';
import type { Logger } from './logger.js';

export interface Job {
  id: string;
  input: unknown;
}

/**
 * A job's result, in the shape a runpod-python handler returns: `refresh_worker: true` with the
 * error of a worker fault (runpod.ts posts it as RunPod's `stopPod`).
 */
export type JobResult = { output: Record<string, unknown> } | { error: string; refresh_worker?: true };

export interface JobHooks {
  /** Aborting it cancels the job; a JobCancelled reason's message is reported. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  onSegment?: (segment: Segment) => void;
}

/** A reason for aborting a job whose message says why (reported as "job cancelled: <message>"). */
export class JobCancelled extends AbortError {
  override name = 'JobCancelled';
}

/** Where a job was when it failed: getting a model it named itself, or anything else. */
export interface FailureContext {
  /** The failure came while finding or loading the model: the job's own `model` (true) or the worker's (false). */
  loadingModel?: { jobsModel: boolean };
}

/** Codes that are always the job's: its input, its cancellation, its time limit. */
const JOB_CODES: ReadonlySet<string> = new Set([ErrorCode.INPUT, ErrorCode.ABORTED, ErrorCode.TIMEOUT]);

/**
 * Whether a failure is the job's or the worker's, by the error's `code`:
 *   ERR_INPUT, ERR_ABORTED, ERR_TIMEOUT                          the job's
 *   ERR_MODEL, while getting a model the job named               the job's
 *   ERR_MODEL otherwise (the worker's own model, the VAD model)  the worker's
 *   ERR_ENGINE, ERR_INTERNAL, no code or another code            the worker's
 * and any failure to get the worker's own model is the worker's, whatever its code (its
 * configuration is wrong, or its device: no job can run).
 */
export function failureOutcome(err: unknown, ctx: FailureContext = {}): 'job' | 'worker' {
  const raw = (err as { code?: unknown } | null | undefined)?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  if (ctx.loadingModel && !ctx.loadingModel.jobsModel) return 'worker';
  if (code !== undefined && JOB_CODES.has(code)) return 'job';
  if (code === ErrorCode.MODEL && ctx.loadingModel?.jobsModel) return 'job';
  return 'worker';
}

/** Whether an error is the engine running out of memory (CUDA, cuBLAS or the host's allocator). */
export function isOutOfMemory(err: unknown): boolean {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && /out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|std::bad_alloc/i.test(message);
}

/** Every job directory this worker creates starts with this (in JOBS_DIR). */
export const JOB_DIR_PREFIX = 'ct2w-job-';
/** This host (a container's hostname is its id) and process, as written into job directory names. */
const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
const OWNER = /^ct2w-job-h([0-9a-f]{8})p(\d+)-/;
/** A job directory from before the owner was written into the name is stale after this long. */
const UNOWNED_STALE_MS = 60_000;

function jobDirPrefix(id: string): string {
  return `${JOB_DIR_PREFIX}h${HOST_TAG}p${process.pid}-${String(id).replace(/[^\w-]/g, '_').slice(0, 40)}-`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes job directories left by workers that are gone (a crash, SIGKILL, a lost container).
 * Only directories named by this worker's scheme (JOB_DIR_PREFIX) are considered, and removed when
 * - their owner, a process on this host, is no longer running (or is this very process, which has
 *   not started a job yet);
 * - they are older than any job may run (`liveStaleMs`: JOB_TIMEOUT_S and some), whoever owns
 *   them (a live owner's pid may have been reused; another host's worker cannot be asked);
 * - their name predates the owner in it and they are older than a minute (`unownedStaleMs`).
 * Returns the names removed.
 */
export async function sweepJobDirs(jobsDir: string, opts: { liveStaleMs: number; unownedStaleMs?: number; now?: number }): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(jobsDir);
  } catch {
    return [];
  }
  const now = opts.now ?? Date.now();
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(JOB_DIR_PREFIX)) continue;
    const full = path.join(jobsDir, name);
    let st: fsSync.Stats;
    try {
      st = await fs.lstat(full);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    const age = now - st.mtimeMs;
    const owner = OWNER.exec(name);
    let stale: boolean;
    if (owner) {
      const pid = Number(owner[2]);
      const gone = owner[1] === HOST_TAG && (pid === process.pid || !processAlive(pid));
      stale = gone || age > opts.liveStaleMs;
    } else {
      stale = age > (opts.unownedStaleMs ?? UNOWNED_STALE_MS);
    }
    if (!stale) continue;
    try {
      await fs.rm(full, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Not ours to remove after all (permissions): leave it.
    }
  }
  return removed;
}

interface LoadedModel {
  model: WhisperModel;
  name: string;
}

/** The reason a job is stopped at JOB_TIMEOUT_S. */
class JobTimedOut extends TimeoutError {
  override name = 'JobTimedOut';
  constructor(seconds: number) {
    super(`job timed out: it ran longer than JOB_TIMEOUT_S (${seconds} s) and was stopped`);
  }
}

/** An output format a job may ask for. */
type OutputFormat = NonNullable<JobInput['output_formats']>[number];

const CONTENT_TYPES: Record<string, [string, string]> = {
  json: ['application/json', 'json'],
  srt: ['application/x-subrip', 'srt'],
  vtt: ['text/vtt', 'vtt'],
  text: ['text/plain; charset=utf-8', 'txt'],
};

/** One job while it runs: what run() and its steps share. */
interface JobRun {
  job: Job;
  hooks: JobHooks;
  started: number;
  /** Seconds per step (fetch_s, model_s, transcribe_s, …), returned in the output. */
  timings: Record<string, number>;
  log: Logger;
  /** Aborted at JOB_TIMEOUT_S (with a JobTimedOut reason), by `timer`. */
  timeout: AbortController;
  timer?: NodeJS.Timeout;
  /** The job's cancellation and its time limit together. */
  signal: AbortSignal;
  context: FailureContext;
  /** The job's Hub token, redacted from every message and log line. */
  secret?: string;
  /** The job directory and the audio in it, named in no message. */
  dir?: string;
  file?: string;
}

/** Records the seconds since `since` as `timings[name]`. */
function lap(timings: Record<string, number>, name: string, since: number): void {
  timings[name] = (Date.now() - since) / 1000;
}

/** `s` without the job's Hub token. */
function redact(r: JobRun, s: string): string {
  return r.secret ? s.split(r.secret).join('[redacted]') : s;
}

/**
 * What a job runs with, for the DEBUG log: its options without the hooks and, of diarization's,
 * without `locations` (it carries the Hub token: HF_TOKEN or the job's) and the samples' paths.
 */
function shownOptions(options: TranscribeOptions): Record<string, unknown> {
  const { signal: _s, onProgress: _p, onSegment: _g, diarize, ...shown } = options;
  if (!diarize || typeof diarize !== 'object') return diarize === undefined ? shown : { ...shown, diarize };
  const { locations: _l, speakerSamples, ...settings } = diarize;
  return { ...shown, diarize: { ...settings, ...(speakerSamples ? { speakerSamples: speakerSamples.map((x) => x.name) } : {}) } };
}

/** Batches what fits: a batch that runs out of device memory is retried at half the size, with a note. */
async function transcribeFitting(r: JobRun, model: WhisperModel, file: string, options: TranscribeOptions, notes: string[]): Promise<Transcription> {
  for (;;) {
    try {
      return await model.transcribe(file, options);
    } catch (e) {
      const batch = options.batchSize;
      if (!batch || batch <= 1 || r.signal.aborted || !isOutOfMemory(e)) throw e;
      options.batchSize = Math.floor(batch / 2);
      notes.push(`batch_size ${batch} did not fit in the ${model.device} memory: ${options.batchSize} used`);
      r.log.warn({ err: (e as Error).message, batch_size: batch, retry_batch_size: options.batchSize }, 'out of memory: retrying with half the batch');
    }
  }
}

/** What a job's full result holds besides the transcription itself. */
interface ResultExtras {
  fallback?: { requested: string; used: string };
  notes: string[];
  wordTimestamps: boolean;
  /** The formats of `transcription` and `translation` (RunPod's faster-whisper worker's fields). */
  formats: { transcription: TextFormat; translation: TextFormat };
  /** The translation pass (the job's `translate`). */
  translation?: Transcription;
}

/** The full result of a job (result.ts has the shapes). */
function fullResult(result: Transcription, modelName: string, model: WhisperModel, extra: ResultExtras): Record<string, unknown> {
  const full: Record<string, unknown> = {
    transcription: renderText(result, extra.formats.transcription),
    translation: extra.translation ? renderText(extra.translation, extra.formats.translation) : null,
    joined_text: joinedText(result.segments),
    segments: result.segments,
    detected_language: result.info.language,
    language_probability: result.info.language_probability,
    duration: result.info.duration,
    duration_after_vad: result.info.duration_after_vad,
    model: modelName,
    device: model.device,
    compute_type: model.computeType,
  };
  if (result.speakers) full.speakers = result.speakers;
  if (extra.fallback) full.language_fallback = extra.fallback;
  if (extra.notes.length) full.notes = extra.notes;
  if (extra.wordTimestamps) {
    full.word_timestamps = result.segments.flatMap((s) => s.words ?? []);
  }
  // The dembrane worker's: the result object itself (segment ids from 1, as faster-whisper's).
  full.model_output = toJsonObject(result);
  return full;
}

/** One output format of a result, as a file to upload or a string to inline (srt and vtt cut by `subtitles`). */
function artifact(result: Transcription, format: OutputFormat, subtitles: SubtitleOptions): Artifact {
  return {
    format,
    body: format === 'json' ? JSON.stringify(toJsonObject(result), null, 2) : render(result, format, subtitles),
    contentType: CONTENT_TYPES[format][0],
    extension: CONTENT_TYPES[format][1],
  };
}

/** The `debug` block of an output (DEBUG, or the job's `debug`): timings, memory, the options used, the top languages. */
function debugBlock(timings: Record<string, number>, result: Transcription): Record<string, unknown> {
  const mem = process.memoryUsage();
  return {
    timings,
    memory_mb: { rss: mem.rss / 2 ** 20, heap_used: mem.heapUsed / 2 ** 20, external: mem.external / 2 ** 20, peak_rss: process.resourceUsage().maxRSS / 1024 },
    options: result.info.transcription_options,
    all_language_probs: result.info.all_language_probs?.slice(0, 5) ?? null,
  };
}

export class TranscriptionService {
  /** Models by name, most recently used last; at most config.maxCachedModels. */
  private models = new Map<string, Promise<LoadedModel>>();
  private store?: ArtifactStore;
  /** Job directories of the jobs in hand, for removeJobDirsSync() on an abrupt exit. */
  private activeDirs = new Set<string>();

  constructor(readonly config: WorkerConfig, private log: Logger) {
    if (config.storage) this.store = new ArtifactStore(config.storage);
  }

  /** The per-job time limit in seconds (JOB_TIMEOUT_S); 0 or less: none. */
  get jobTimeoutS(): number {
    return this.config.jobTimeoutS ?? 3600;
  }

  /** Sweeps JOBS_DIR of job directories left by workers that are gone; logs what it removed. */
  async sweepJobsDir(): Promise<string[]> {
    const limit = this.jobTimeoutS > 0 && Number.isFinite(this.jobTimeoutS) ? this.jobTimeoutS * 1000 : 24 * 3600_000;
    const removed = await sweepJobDirs(this.config.jobsDir, { liveStaleMs: limit + 5 * 60_000 });
    if (removed.length) this.log.info({ jobs_dir: this.config.jobsDir, removed }, `removed ${removed.length} stale job director${removed.length === 1 ? 'y' : 'ies'}`);
    return removed;
  }

  /** Removes the directories of the jobs in hand, synchronously: for a process about to exit. */
  removeJobDirsSync(): void {
    for (const dir of this.activeDirs) {
      try {
        fsSync.rmSync(dir, { recursive: true, force: true });
      } catch {
        // nothing more to do on the way out
      }
      this.activeDirs.delete(dir);
    }
  }

  /** Where models are looked for by name: the worker's cache and Hub settings, with a job's Hub token. */
  private locations(token?: string): ModelLocations {
    return { cacheDir: this.config.cacheDir, hub: token ? { ...this.config.hub, token } : this.config.hub };
  }

  /**
   * The error for a default model ("small": no variable names one) that cannot be had, offline
   * say: which models are on this machine and how to choose one.
   */
  private noModelError(e: unknown): ModelError {
    const hubDir = hubCacheDir(this.config.hub);
    const found = cachedModels(this.config.cacheDir, hubDir);
    const how = found.length
      ? `models on this machine: ${found.map((m) => m.name).join(', ')}; choose one with WHISPER_MODEL_NAME (WHISPER_MODEL_NAME=${found[0].name})`
      : `no model is on this machine (${path.join(this.config.cacheDir, 'models')}, ${hubDir}): set WHISPER_MODEL_NAME to a model name, a Hub id or a path, and give the worker the network or a model directory`;
    return new ModelError(
      `no model is configured (WHISPER_MODEL_NAME, WHISPERX_MODEL or WHISPERX_MODEL_DIR) and the default "${DEFAULT_WORKER_MODEL}" could not be had (${(e as Error)?.message ?? String(e)}); ${how}`,
    );
  }

  /** Loads the worker's model, so the first job does not wait for it. */
  async init(): Promise<void> {
    await this.model(this.config.model);
  }

  /**
   * The model `name`, loaded once and kept (at most config.maxCachedModels). `token`: a job's Hub
   * token, for downloading it; a model other than the worker's fetched with a token is kept apart
   * from the same name without it (a job without the token does not get a private model).
   */
  private model(name: string, token?: string): Promise<LoadedModel> {
    const key = token && name !== this.config.model ? `${name}\u0000${createHash('sha256').update(token).digest('hex').slice(0, 16)}` : name;
    const cached = this.models.get(key);
    if (cached) {
      this.models.delete(key);
      this.models.set(key, cached);
      return cached;
    }
    const loading = (async () => {
      const started = Date.now();
      let resolved;
      try {
        resolved = await resolveJobModel(name, this.config.modelPolicy, this.locations(token));
      } catch (e) {
        if (name === this.config.model && !this.config.modelConfigured) throw this.noModelError(e);
        throw e;
      }
      const model = await WhisperModel.load(resolved.dir, {
        device: this.config.device,
        computeType: this.config.computeType,
        cpuThreads: this.config.cpuThreads,
      });
      this.log.info(
        { model: name, source: resolved.source, from: resolved.repo ?? resolved.dir, device: model.device, compute_type: model.computeType, load_s: (Date.now() - started) / 1000 },
        `model ${name} from ${resolved.source} (${resolved.repo ?? resolved.dir}) on ${model.device}, ${model.computeType}`,
      );
      return { model, name };
    })();
    this.models.set(key, loading);
    loading.catch(() => this.models.delete(key));
    while (this.models.size > this.config.maxCachedModels) {
      const [oldest, p] = this.models.entries().next().value as [string, Promise<LoadedModel>];
      this.models.delete(oldest);
      p.then((m) => m.model.dispose(), () => undefined);
    }
    return loading;
  }

  private language(job: JobInput): { language?: string; fallback?: { requested: string; used: string } } {
    // No language: DEFAULT_LANGUAGE_CODE, as the dembrane worker does, else detection; "auto": detection.
    if (job.language === undefined || job.language === null || job.language === '') {
      return this.config.defaultLanguage ? { language: this.config.defaultLanguage } : {};
    }
    if (job.language.toLowerCase() === 'auto') return {};
    const requested = job.language.toLowerCase();
    // SUPPORTED_LANGUAGES, else all of Whisper's; an English-only model then transcribes English,
    // as faster-whisper does.
    const allowed = this.config.supportedLanguages ?? native().languageCodes();
    if (allowed.includes(requested)) return { language: requested };
    const fallback = this.config.defaultLanguage;
    if (fallback) return { language: fallback, fallback: { requested, used: fallback } };
    throw new JobInputError(`language: unknown or unsupported language code ${JSON.stringify(job.language)}`);
  }

  /**
   * The job's transcribe options (job-options.ts) and the worker's own: TASK and MODEL_BATCH_SIZE
   * for a job that gives none, the batch size clamped on CPU (with a note), limits, the VAD model,
   * ffmpeg. `notes` gets what the output should say about them.
   */
  private options(job: JobInput, device: string, notes: string[]): TranscribeOptions {
    // srt and vtt cut their cues at word times and trim them to where the VAD hears speech, unless the job says otherwise.
    const opts: TranscribeOptions = {
      ...optionsForFormats(jobOptions(job), job.output_formats ?? [], hasVadModel(this.config.vadModelPath)),
      maxAudioSeconds: this.config.maxAudioSeconds,
      maxAudioBytes: this.config.limits.maxBytes,
      vadModelPath: this.config.vadModelPath,
    };
    if (opts.task === undefined && this.config.defaultTask) opts.task = this.config.defaultTask;
    // MODEL_BATCH_SIZE batches a job that does not turn the VAD off (the batched pipeline needs its chunks).
    let batch = opts.batchSize ?? undefined;
    if (batch === undefined && this.config.defaultBatchSize !== undefined && job.vad_filter !== false) batch = this.config.defaultBatchSize;
    if (batch !== undefined && device === 'cpu' && batch > CPU_MAX_BATCH_SIZE) {
      notes.push(`batch_size ${batch} is more than a CPU worker runs at once: ${CPU_MAX_BATCH_SIZE} used`);
      batch = CPU_MAX_BATCH_SIZE;
    }
    if (batch !== undefined) opts.batchSize = batch;
    if ((job.min_speakers != null || job.max_speakers != null) && !wantsDiarization(job)) {
      notes.push('min_speakers and max_speakers are used only with diarization: ignored');
    }
    if (job.speaker_samples?.length && !wantsDiarization(job)) {
      notes.push('speaker_samples are used only with diarization or speaker_verification: ignored');
    }
    if (this.config.ffmpegPath) opts.ffmpegPath = this.config.ffmpegPath;
    return opts;
  }

  /** Downloads a job's speaker samples into its directory; a sample that cannot be had fails the job, naming it. */
  private async fetchSpeakerSamples(job: JobInput, dir: string, signal: AbortSignal): Promise<Array<{ name: string; audio: string }>> {
    const out: Array<{ name: string; audio: string }> = [];
    for (const [i, { url, name }] of speakerSamples(job).entries()) {
      const into = path.join(dir, `sample-${i}`);
      await fs.mkdir(into);
      try {
        out.push({ name, audio: await downloadAudio(url, into, this.config.limits, signal) });
      } catch (e) {
        if (signal.aborted) throw e;
        throw new JobInputError(`speaker_samples[${i}] (${JSON.stringify(name)}): ${(e as Error).message.replace(/^audio URL: /, '')}`);
      }
    }
    return out;
  }

  /** The jobs in hand; close() waits for them before it disposes the models. */
  private inFlight = new Set<Promise<JobResult>>();

  /** Runs one job to its result; never rejects. */
  handle(job: Job, hooks: JobHooks = {}): Promise<JobResult> {
    const p = this.run(job, hooks);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  private async run(job: Job, hooks: JobHooks): Promise<JobResult> {
    const r = this.startJob(job, hooks);
    try {
      return { output: await this.runJob(r) };
    } catch (e) {
      return this.failed(r, e);
    } finally {
      if (r.timer) clearTimeout(r.timer);
      if (r.dir) {
        await fs.rm(r.dir, { recursive: true, force: true }).catch(() => undefined);
        this.activeDirs.delete(r.dir);
      }
    }
  }

  /** A job's running state: its log, its time limit (JOB_TIMEOUT_S: a timer that aborts its fetch and transcription), its signal. */
  private startJob(job: Job, hooks: JobHooks): JobRun {
    const timeoutS = this.jobTimeoutS;
    const timeout = new AbortController();
    const timer = timeoutS > 0 && Number.isFinite(timeoutS) ? setTimeout(() => timeout.abort(new JobTimedOut(timeoutS)), timeoutS * 1000) : undefined;
    timer?.unref();
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, timeout.signal]) : timeout.signal;
    return { job, hooks, started: Date.now(), timings: {}, log: this.log.child({ job_id: job.id }), timeout, timer, signal, context: {} };
  }

  /** A job from its input to its output; throws what fails it (failed() decides whose failure it is). */
  private async runJob(r: JobRun): Promise<Record<string, unknown>> {
    const input = parseJobInput(r.job.input);
    // The job's Hub token: used for its model's download, kept out of every log line and message.
    r.secret = input.huggingface_access_token ?? undefined;
    // Refused before any download, and before the model cache evicts anything for it.
    if (input.model != null) checkJobModel(input.model, this.config.modelPolicy, this.locations());
    const file = await this.fetchJobAudio(r, input);
    let t = Date.now();
    const modelName = input.model ?? this.config.model;
    r.context.loadingModel = { jobsModel: modelName !== this.config.model };
    const { model } = await this.model(modelName, r.secret);
    r.context.loadingModel = undefined;
    lap(r.timings, 'model_s', t);
    const { language, fallback } = this.language(input);
    const notes: string[] = [];
    const options = await this.jobTranscribeOptions(r, input, model, language, notes);
    r.log.debug({ model: modelName, options: shownOptions(options), notes }, 'transcribe options');
    t = Date.now();
    const result = await transcribeFitting(r, model, file, options, notes);
    lap(r.timings, 'transcribe_s', t);
    const translation = input.translate ? await this.translationPass(r, model, file, options, result, notes) : undefined;
    const formats = { transcription: input.transcription ?? 'plain_text', translation: input.translation ?? 'plain_text' } as const;
    const full = fullResult(result, modelName, model, { fallback, notes, wordTimestamps: !!options.wordTimestamps, formats, translation });
    const output = await this.jobOutput(r, input, result, full);
    r.timings.total_s = (Date.now() - r.started) / 1000;
    output.timings = r.timings;
    // DEBUG: in every output, unless the job says debug: false.
    if (input.debug ?? this.config.debug) output.debug = debugBlock(r.timings, result);
    r.log.info({ duration: result.info.duration, segments: result.segments.length, timings: r.timings }, 'job done');
    return output;
  }

  /**
   * RunPod's faster-whisper worker's `translate`: the audio again with task translate, with the
   * job's options and its language (the one detected when it gives none), without speakers or
   * streamed segments. A job whose task is translate already has it.
   */
  private async translationPass(r: JobRun, model: WhisperModel, file: string, options: TranscribeOptions, first: Transcription, notes: string[]): Promise<Transcription> {
    if (options.task === 'translate') return first;
    const t = Date.now();
    const { onSegment: _s, onProgress: _p, diarize: _d, ...rest } = options;
    const translated = await transcribeFitting(r, model, file, { ...rest, task: 'translate', language: options.language ?? first.info.language }, notes);
    lap(r.timings, 'translate_s', t);
    return translated;
  }

  /** Makes the job's directory (kept in r.dir) and fetches its audio there: its URL, or its base64 payload. */
  private async fetchJobAudio(r: JobRun, input: JobInput): Promise<string> {
    await fs.mkdir(this.config.jobsDir, { recursive: true });
    const dir = await fs.mkdtemp(path.join(this.config.jobsDir, jobDirPrefix(r.job.id)));
    r.dir = dir;
    this.activeDirs.add(dir);
    const t = Date.now();
    const url = input.audio ?? input.audio_url ?? input.audio_file;
    const base64Field = input.audio_base_64 != null ? 'audio_base_64' : 'audio_base64';
    r.file = url
      ? await downloadAudio(url, dir, this.config.limits, r.signal)
      : await saveBase64Audio(input[base64Field]!, dir, this.config.limits, base64Field);
    if (r.signal.aborted) throw r.signal.reason;
    lap(r.timings, 'fetch_s', t);
    return r.file;
  }

  /** The options a job is transcribed with: options(), its language, signal and hooks, and diarization with its samples fetched. */
  private async jobTranscribeOptions(r: JobRun, input: JobInput, model: WhisperModel, language: string | undefined, notes: string[]): Promise<TranscribeOptions> {
    const options: TranscribeOptions = { ...this.options(input, model.device, notes), language, signal: r.signal, onProgress: r.hooks.onProgress, onSegment: r.hooks.onSegment };
    if (wantsDiarization(input)) {
      const t = Date.now();
      options.diarize = {
        ...jobDiarizeSettings(input),
        ...(this.config.diarizationModel ? { diarizationModel: this.config.diarizationModel } : {}),
        locations: this.locations(r.secret),
        speakerSamples: input.speaker_verification === false ? [] : await this.fetchSpeakerSamples(input, r.dir!, r.signal),
      };
      if (input.speaker_samples?.length) lap(r.timings, 'samples_fetch_s', t);
    }
    return options;
  }

  /**
   * The job's output from its full result: uploaded artifacts with storage (the JSON always in
   * "auto" mode, and the formats asked for), else srt/vtt/text inline; the preview or the full
   * result by result_mode, MAX_RESULT_BYTES and whether the upload happened (result.ts).
   */
  private async jobOutput(r: JobRun, input: JobInput, result: Transcription, full: Record<string, unknown>): Promise<Record<string, unknown>> {
    const mode = input.result_mode ?? 'auto';
    const formats = input.output_formats ?? [];
    // With storage: the JSON always ("auto") and the formats asked for.
    const toUpload = this.store ? (mode === 'auto' ? [...new Set(['json' as const, ...formats])] : formats) : [];
    const subtitles = jobSubtitleOptions(input);
    const { uploaded, uploadError } = await this.uploadArtifacts(r, result, toUpload, subtitles);
    // Not uploaded: srt, vtt and text come inline.
    const inline = uploaded ? [] : formats.filter((f) => f !== 'json');
    const withInline: Record<string, unknown> = { ...full };
    for (const f of inline) withInline[f] = artifact(result, f, subtitles).body;
    let output: Record<string, unknown>;
    if (mode === 'full') {
      output = withInline;
      if (uploaded) output.artifacts = uploaded;
    } else if (uploaded) {
      output = previewOutput(full, result.segments, 'the full result is in the uploaded JSON (full_result)');
      output.artifacts = uploaded;
      output.full_result = uploaded.json;
      shrinkPreview(output, this.config.maxResultBytes, 'the whole is in full_result');
    } else {
      output = fitOutput(withInline, result.segments, this.config.maxResultBytes, inline);
      if (output.truncated) r.log.warn({ max_result_bytes: this.config.maxResultBytes }, 'the result is over MAX_RESULT_BYTES: returning a preview');
    }
    if (uploadError) output.upload_error = uploadError;
    return output;
  }

  /** Uploads a job's artifacts (none: nothing to do); a failed upload is reported, not thrown: the job then returns its result inline. */
  private async uploadArtifacts(
    r: JobRun,
    result: Transcription,
    formats: readonly OutputFormat[],
    subtitles: SubtitleOptions,
  ): Promise<{ uploaded?: Record<string, UploadedArtifact>; uploadError?: string }> {
    if (!formats.length) return {};
    const t = Date.now();
    try {
      return { uploaded: await this.store!.upload(r.job.id, formats.map((f) => artifact(result, f, subtitles))) };
    } catch (e) {
      const message = redact(r, (e as Error).message);
      r.log.warn({ err: message }, 'artifact upload failed; returning the transcript inline');
      return { uploadError: `upload to ${this.config.storage!.bucket} failed: ${message}` };
    } finally {
      lap(r.timings, 'upload_s', t);
    }
  }

  /** The result of a failed job: its error message, logged, with refresh_worker for a worker fault (failureOutcome). */
  private failed(r: JobRun, e: unknown): JobResult {
    const err = e instanceof Error ? e : new Error(String(e));
    const rawCode = (e as { code?: unknown } | null | undefined)?.code;
    const code = typeof rawCode === 'string' ? rawCode : undefined;
    // The job's time limit and its cancellation are the job's, whatever the work threw on the way out.
    const stopped = r.timeout.signal.aborted || !!r.hooks.signal?.aborted;
    const outcome = stopped ? 'job' : failureOutcome(e, r.context);
    const message = this.failureMessage(r, err, code, outcome);
    if (outcome === 'job') {
      r.log.warn({ err: redact(r, err.message), kind: err.name, code }, 'job failed');
      return { error: message };
    }
    r.log.error({ err: redact(r, err.message), kind: err.name, code: code ?? null, stack: redact(r, err.stack ?? '') }, `worker fault (${code ?? 'no error code'}): the job failed through no fault of its own`);
    return { error: message, refresh_worker: true };
  }

  /** What a failed job's error says: why it stopped, in the job's terms, with no private path or secret in it. */
  private failureMessage(r: JobRun, err: Error, code: string | undefined, outcome: 'job' | 'worker'): string {
    let message: string;
    if (r.timeout.signal.aborted) {
      message = (r.timeout.signal.reason as Error).message;
    } else if (r.hooks.signal?.aborted || code === ErrorCode.ABORTED) {
      const reason = r.hooks.signal?.reason;
      message = reason instanceof JobCancelled ? `job cancelled: ${reason.message}` : 'job cancelled';
    } else if (outcome === 'job') {
      message = err.message;
    } else if (r.context.loadingModel && !r.context.loadingModel.jobsModel) {
      message = `the worker's model ${JSON.stringify(this.config.model)} could not be loaded: ${err.message}`;
    } else {
      message = `transcription failed: ${err.message}`;
    }
    // The job's field names, not the library's.
    message = message.replace(/\bspeakerSamples\[/g, 'speaker_samples[');
    // Name the job's audio, not the private path it was saved under.
    if (r.file) message = message.split(r.file).join('the audio');
    if (r.dir) message = message.split(r.dir).join('the job directory');
    return redact(r, message);
  }

  /**
   * Disposes the models and the storage client, once no job is in hand: it waits for the jobs in
   * hand (at most `waitMs`) and, if one is still running then, leaves the models alone rather than
   * free them under it. Resolves to whether it disposed them.
   */
  async close(waitMs = Infinity): Promise<boolean> {
    if (this.inFlight.size) {
      let timer: NodeJS.Timeout | undefined;
      const settled = Promise.allSettled([...this.inFlight]).then(() => true);
      const limit = Number.isFinite(waitMs) ? new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), waitMs); }) : undefined;
      const done = await (limit ? Promise.race([settled, limit]) : settled);
      if (timer) clearTimeout(timer);
      if (!done) {
        this.log.error({ jobs: this.inFlight.size }, 'a job is still running: the models are left loaded');
        return false;
      }
    }
    for (const p of this.models.values()) await p.then((m) => m.model.dispose(), () => undefined);
    this.models.clear();
    this.store?.destroy();
    return true;
  }
}
