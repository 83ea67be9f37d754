// One transcription job, from its `input` to its `output` (or `error`): validate, fetch the
// audio into a job directory, pick the model, transcribe, render and upload artifacts. The job
// directory is removed whatever happens.
import fs from 'node:fs/promises';
import path from 'node:path';
import { WhisperModel, type TranscribeOptions, type Segment } from '../model.js';
import { resolveModel } from '../model-path.js';
import { native } from '../native.js';
import { render, joinedText, toJsonObject } from '../formats.js';
import { InputError } from '../errors.js';
import { parseJobInput, JobInputError, type JobInput } from './schema.js';
import { downloadAudio, saveBase64Audio } from './audio-source.js';
import { ArtifactStore, type Artifact } from './storage.js';
import type { WorkerConfig } from './config.js';
import type { Logger } from './logger.js';

export interface Job {
  id: string;
  input: unknown;
}

export type JobResult = { output: Record<string, unknown> } | { error: string };

export interface JobHooks {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  onSegment?: (segment: Segment) => void;
}

interface LoadedModel {
  model: WhisperModel;
  name: string;
}

const CONTENT_TYPES: Record<string, [string, string]> = {
  json: ['application/json', 'json'],
  srt: ['application/x-subrip', 'srt'],
  vtt: ['text/vtt', 'vtt'],
  text: ['text/plain; charset=utf-8', 'txt'],
};

export class TranscriptionService {
  /** Models by name, most recently used last; at most config.maxCachedModels. */
  private models = new Map<string, Promise<LoadedModel>>();
  private store?: ArtifactStore;

  constructor(readonly config: WorkerConfig, private log: Logger) {
    if (config.storage) this.store = new ArtifactStore(config.storage);
  }

  /** Loads the worker's model, so the first job does not wait for it. */
  async init(): Promise<void> {
    await this.model(this.config.model);
  }

  private model(name: string): Promise<LoadedModel> {
    const cached = this.models.get(name);
    if (cached) {
      this.models.delete(name);
      this.models.set(name, cached);
      return cached;
    }
    const loading = (async () => {
      const started = Date.now();
      const resolved = await resolveModel(name);
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
    this.models.set(name, loading);
    loading.catch(() => this.models.delete(name));
    while (this.models.size > this.config.maxCachedModels) {
      const [oldest, p] = this.models.entries().next().value as [string, Promise<LoadedModel>];
      this.models.delete(oldest);
      p.then((m) => m.model.dispose(), () => undefined);
    }
    return loading;
  }

  private language(job: JobInput): { language?: string; fallback?: { requested: string; used: string } } {
    if (job.language === undefined || job.language === null || job.language === '' || job.language.toLowerCase() === 'auto') return {};
    const requested = job.language.toLowerCase();
    // SUPPORTED_LANGUAGES, else all of Whisper's; an English-only model then transcribes English,
    // as faster-whisper does.
    const allowed = this.config.supportedLanguages ?? native().languageCodes();
    if (allowed.includes(requested)) return { language: requested };
    const fallback = this.config.defaultLanguage;
    if (fallback) return { language: fallback, fallback: { requested, used: fallback } };
    throw new JobInputError(`language: unknown or unsupported language code ${JSON.stringify(job.language)}`);
  }

  private options(job: JobInput): TranscribeOptions {
    let temperature: number | number[] | undefined = job.temperature;
    if (typeof temperature === 'number' && job.temperature_increment_on_fallback) {
      const list: number[] = [];
      for (let t = temperature; t <= 1.0 + 1e-9; t += job.temperature_increment_on_fallback) list.push(Math.round(t * 1000) / 1000);
      temperature = list;
    }
    const vad = job.vad_parameters ?? {};
    const vadParameters = {
      threshold: job.vad_onset ?? vad.threshold,
      negThreshold: job.vad_offset ?? vad.neg_threshold,
      minSpeechDurationMs: vad.min_speech_duration_ms,
      maxSpeechDurationS: vad.max_speech_duration_s,
      minSilenceDurationMs: vad.min_silence_duration_ms,
      speechPadMs: vad.speech_pad_ms,
    };
    const opts: TranscribeOptions = {
      task: job.task,
      beamSize: job.beam_size,
      bestOf: job.best_of,
      patience: job.patience,
      lengthPenalty: job.length_penalty,
      temperature,
      initialPrompt: job.initial_prompt,
      prefix: job.prefix,
      hotwords: job.hotwords,
      wordTimestamps: job.word_timestamps || job.align_output || undefined,
      chunkLength: job.chunk_length,
      conditionOnPreviousText: job.condition_on_previous_text,
      noSpeechThreshold: job.no_speech_threshold,
      compressionRatioThreshold: job.compression_ratio_threshold,
      logProbThreshold: job.log_prob_threshold,
      languageDetectionThreshold: job.language_detection_min_prob,
      languageDetectionSegments: job.language_detection_max_tries,
      batchSize: job.batch_size,
      vadFilter: job.vad_filter,
      vadParameters: Object.fromEntries(Object.entries(vadParameters).filter(([, v]) => v !== undefined)),
    };
    return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as TranscribeOptions;
  }

  async handle(job: Job, hooks: JobHooks = {}): Promise<JobResult> {
    const started = Date.now();
    const timings: Record<string, number> = {};
    const lap = (name: string, since: number) => (timings[name] = (Date.now() - since) / 1000);
    const log = this.log.child({ job_id: job.id });
    let dir: string | undefined;
    let file: string | undefined;
    try {
      const input = parseJobInput(job.input);
      await fs.mkdir(this.config.jobsDir, { recursive: true });
      dir = await fs.mkdtemp(path.join(this.config.jobsDir, `ct2w-job-${String(job.id).replace(/[^\w-]/g, '_').slice(0, 40)}-`));
      let t = Date.now();
      const url = input.audio ?? input.audio_url ?? input.audio_file;
      file = url
        ? await downloadAudio(url, dir, this.config.limits, hooks.signal)
        : await saveBase64Audio(input.audio_base_64!, dir, this.config.limits);
      lap('fetch_s', t);
      t = Date.now();
      const modelName = input.model ?? this.config.model;
      const { model } = await this.model(modelName);
      lap('model_s', t);
      const { language, fallback } = this.language(input);
      const options = { ...this.options(input), language, signal: hooks.signal, onProgress: hooks.onProgress, onSegment: hooks.onSegment };
      t = Date.now();
      const result = await model.transcribe(file, options);
      lap('transcribe_s', t);
      const text = joinedText(result.segments);
      const output: Record<string, unknown> = {
        transcription: text,
        joined_text: text,
        segments: result.segments,
        detected_language: result.info.language,
        language_probability: result.info.language_probability,
        duration: result.info.duration,
        duration_after_vad: result.info.duration_after_vad,
        model: modelName,
        device: model.device,
        compute_type: model.computeType,
      };
      if (fallback) output.language_fallback = fallback;
      if (options.wordTimestamps) {
        output.word_timestamps = result.segments.flatMap((s) => s.words ?? []);
      }
      const formats = input.output_formats ?? [];
      if (formats.length) {
        const artifacts: Artifact[] = formats.map((f) => ({
          format: f,
          body: f === 'json' ? JSON.stringify(toJsonObject(result), null, 2) : render(result, f),
          contentType: CONTENT_TYPES[f][0],
          extension: CONTENT_TYPES[f][1],
        }));
        if (this.store) {
          t = Date.now();
          try {
            output.artifacts = await this.store.upload(job.id, artifacts);
          } catch (e) {
            output.upload_error = `upload to ${this.config.storage!.bucket} failed: ${(e as Error).message}`;
            log.warn({ err: (e as Error).message }, 'artifact upload failed; returning the transcript inline');
            for (const a of artifacts) if (a.format !== 'json') output[a.format] = a.body;
          }
          lap('upload_s', t);
        } else {
          for (const a of artifacts) if (a.format !== 'json') output[a.format] = a.body;
        }
      }
      timings.total_s = (Date.now() - started) / 1000;
      output.timings = timings;
      if (input.debug) {
        const mem = process.memoryUsage();
        output.debug = {
          timings,
          memory_mb: { rss: mem.rss / 2 ** 20, heap_used: mem.heapUsed / 2 ** 20, external: mem.external / 2 ** 20, peak_rss: process.resourceUsage().maxRSS / 1024 },
          options: result.info.transcription_options,
          all_language_probs: result.info.all_language_probs?.slice(0, 5) ?? null,
        };
      }
      log.info({ duration: result.info.duration, segments: result.segments.length, timings }, 'job done');
      return { output };
    } catch (e) {
      const err = e as Error;
      const aborted = hooks.signal?.aborted || err.name === 'AbortError';
      let message = aborted
        ? 'job cancelled'
        : err instanceof JobInputError || err instanceof InputError
          ? err.message
          : `transcription failed: ${err.message}`;
      // Name the job's audio, not the private path it was saved under.
      if (file) message = message.split(file).join('the audio');
      if (dir) message = message.split(dir).join('the job directory');
      log.warn({ err: err.message, kind: err.name }, 'job failed');
      return { error: message };
    } finally {
      if (dir) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    for (const p of this.models.values()) await p.then((m) => m.model.dispose(), () => undefined);
    this.models.clear();
    this.store?.destroy();
  }
}
