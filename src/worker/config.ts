// The worker's settings, read from the environment the seed workers use, and checked once at
// start-up: a bad value stops the worker with one error that names every bad variable, its value
// and what is expected, instead of being replaced by a default. An empty variable counts as unset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FetchLimits } from './audio-source.js';
import { storageFromEnv, type StorageConfig } from './storage.js';
import type { Device, ComputeType } from '../model.js';
import { CPU_MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from '../options/index.js';
import { DEFAULT_MAX_AUDIO_SECONDS } from '../audio.js';
import { defaultHubRepos, isHubRepoId, type ModelPolicy } from '../model-path.js';
import { hubCacheDir, hubRepoFor, type HubOptions } from '../hub-download.js';
import { settingsFromEnv, type Env, type EnvSettings } from '../env.js';

export interface WorkerConfig {
  /** A model name, Hub id or path: WHISPERX_MODEL / WHISPERX_MODEL_NAME / WHISPER_MODEL_NAME, else WHISPERX_MODEL_DIR, else "small". */
  model: string;
  /** Whether a variable named the model (false: the default "small"). */
  modelConfigured: boolean;
  /** The task of a job that gives none (TASK). */
  defaultTask?: 'transcribe' | 'translate';
  /** The batch size of a job that gives none (MODEL_BATCH_SIZE): such jobs run batched. */
  defaultBatchSize?: number;
  /** The largest result posted whole (MAX_RESULT_BYTES); a larger one is cut to a preview. */
  maxResultBytes: number;
  /** Log the mounts and their free space at start (PRINT_MOUNTS). */
  printMounts: boolean;
  /** DEBUG: debug-level logs and the `debug` block in every output. */
  debug: boolean;
  device: Device;
  computeType: ComputeType;
  cpuThreads: number;
  maxCachedModels: number;
  jobsDir: string;
  supportedLanguages?: string[];
  defaultLanguage?: string;
  storage?: StorageConfig;
  limits: FetchLimits;
  /** Per-job time limit in seconds (JOB_TIMEOUT_S). */
  jobTimeoutS: number;
  /** Longest decoded audio a job may have, in seconds (MAX_AUDIO_SECONDS). */
  maxAudioSeconds: number;
  /** What a job's `model` may name (MODEL_ROOTS, ALLOWED_HUB_MODELS, and the configured model). */
  modelPolicy: ModelPolicy;
  /** ct2-whisper's cache (CT2_WHISPER_CACHE): models by name are looked for in its models/. */
  cacheDir: string;
  /** The Hugging Face Hub and its cache (HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE). */
  hub: HubOptions;
  /** Silero VAD's ONNX file (CT2_WHISPER_VAD_MODEL, else in the cache's models/). */
  vadModelPath: string;
  /** CT2_WHISPER_DIARIZATION_MODEL: the diarization models' directory or Hub id (else <cacheDir>/models/diarization). */
  diarizationModel?: string;
  /** The ffmpeg executable (FFMPEG_PATH; unset: `ffmpeg` on PATH). */
  ffmpegPath?: string;
}

export const DEFAULT_WORKER_MODEL = 'small';
export const DEFAULT_JOB_TIMEOUT_S = 3600;
/**
 * MAX_RESULT_BYTES' default. RunPod documents payload limits for requests (/run 10 MB, /runsync
 * 20 MB) but none for a worker's result; results of about 19 MB have been refused by job-done
 * (HTTP 400) and older platform versions refused JSON over 2 MB. 10 MB, the smaller documented
 * limit, is the conservative choice; an operator who knows better sets the variable.
 */
export const DEFAULT_MAX_RESULT_BYTES = 10_000_000;
export { CPU_MAX_BATCH_SIZE };

/** Node's timers hold at most 2^31-1 ms; a longer delay fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The compute types the engine knows (native/src/device.rs). */
export const COMPUTE_TYPES = ['auto', 'default', 'int8', 'int8_float32', 'int8_float16', 'int8_bfloat16', 'int16', 'float16', 'bfloat16', 'float32'];
export const DEVICES = ['auto', 'cpu', 'cuda'];

/** The worker's settings are wrong; `problems` has one line per bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    // One line: the CLI prints the first line of an error.
    super(`invalid worker settings: ${problems.join('; ')}`);
  }
}

/** Reads variables from `env`, collecting a problem for each bad one. */
class Reader {
  readonly problems: string[] = [];
  constructor(private env: Env) {}

  /** The trimmed value, undefined when unset or empty. */
  raw(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v ? v : undefined;
  }

  bad(name: string, value: string, expected: string): undefined {
    const shown = value.length > 100 ? `${value.slice(0, 100)}…` : value;
    this.problems.push(`${name}=${JSON.stringify(shown)}: expected ${expected}`);
    return undefined;
  }

  /** A whole number in [min, max], written in decimal digits. */
  int(name: string, def: number, min: number, max: number, unit = '', note = ''): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    const range = max === Number.MAX_SAFE_INTEGER ? `, at least ${min}` : ` from ${min} to ${max}`;
    const what = `a whole number${unit ? ` of ${unit}` : ''}${range}${note ? ` (${note})` : ''}`;
    if (!Number.isSafeInteger(n) || n < min || n > max) return this.bad(name, v, what) ?? def;
    return n;
  }

  /** A positive decimal number up to max. */
  positive(name: string, def: number, max: number, unit: string): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = /^(\d+\.?\d*|\.\d+)$/.test(v) ? Number(v) : NaN;
    if (!(n > 0 && n <= max)) return this.bad(name, v, `a positive number of ${unit}, at most ${max}`) ?? def;
    return n;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly string[]): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    const lower = v.toLowerCase();
    if (!allowed.includes(lower)) return this.bad(name, v, `one of ${allowed.join(', ')}`) ?? def;
    return lower as T;
  }

  flag(name: string): boolean {
    const v = this.raw(name);
    if (v === undefined) return false;
    const lower = v.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    return this.bad(name, v, '1, true, yes or on (or 0, false, no, off)') ?? false;
  }
}

function fetchLimits(r: Reader): FetchLimits {
  return {
    maxBytes: r.int('MAX_AUDIO_BYTES', 1024 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER, 'bytes'),
    connectTimeoutMs: r.int('AUDIO_CONNECT_TIMEOUT_MS', 10_000, 1, MAX_TIMER_MS, 'milliseconds'),
    totalTimeoutMs: r.int('AUDIO_DOWNLOAD_TIMEOUT_MS', 600_000, 1, MAX_TIMER_MS, 'milliseconds'),
    // 0: no redirect is followed.
    maxRedirects: r.int('AUDIO_MAX_REDIRECTS', 5, 0, 20),
    allowPrivate: r.flag('ALLOW_PRIVATE_AUDIO_URLS'),
  };
}

function storage(r: Reader, env: Env): StorageConfig | undefined {
  const parts = ['STORAGE_BUCKET', 'STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY'];
  const set = parts.filter((k) => r.raw(k) !== undefined);
  if (set.length && set.length < parts.length) {
    const missing = parts.filter((k) => !set.includes(k));
    r.problems.push(`${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not: artifact storage needs all three`);
  }
  const endpoint = r.raw('STORAGE_ENDPOINT');
  if (endpoint !== undefined) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(endpoint).protocol);
    } catch {}
    if (!ok) r.bad('STORAGE_ENDPOINT', endpoint, 'an http(s) URL');
  }
  // S3's presigned URLs live at most 7 days.
  const presignTtl = r.int('PRESIGN_TTL', 3600, 1, 7 * 24 * 3600, 'seconds');
  const s = storageFromEnv(env);
  return s && { ...s, presignTtl };
}

/** The model directories a job may name (MODEL_ROOTS, colon-separated absolute paths). */
function modelRoots(r: Reader, settings: EnvSettings, model: string): string[] {
  const v = r.raw('MODEL_ROOTS');
  let roots: string[];
  if (v !== undefined) {
    roots = v.split(':').map((s) => s.trim()).filter(Boolean);
    const relative = roots.filter((p) => !path.isAbsolute(p));
    if (relative.length) r.bad('MODEL_ROOTS', v, `absolute directories separated by ":" (${relative.map((p) => JSON.stringify(p)).join(', ')} ${relative.length > 1 ? 'are' : 'is'} not absolute)`);
  } else {
    roots = [path.join(settings.cacheDir, 'models'), hubCacheDir(settings.hub)];
    if (fs.existsSync('/runpod-volume')) roots.push('/runpod-volume');
  }
  // The operator's own model directory, when the model is given as a path.
  if (fs.existsSync(model) && fs.statSync(model).isDirectory()) roots.push(path.resolve(model));
  return roots;
}

/** The Hub repositories a job may name (ALLOWED_HUB_MODELS: names of HUB_MODELS, "org/name" ids, "*", or "none"). */
function hubRepos(r: Reader): string[] | '*' {
  const v = r.raw('ALLOWED_HUB_MODELS');
  if (v === undefined) return defaultHubRepos();
  const entries = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 1 && entries[0].toLowerCase() === 'none') return [];
  if (entries.includes('*')) return '*';
  const repos: string[] = [];
  const bad: string[] = [];
  for (const e of entries) {
    const repo = hubRepoFor(e) ?? (isHubRepoId(e) ? e : undefined);
    if (repo) repos.push(repo);
    else bad.push(e);
  }
  if (bad.length) r.bad('ALLOWED_HUB_MODELS', v, `a comma-separated list of model names (tiny … large-v3, turbo, distil-*) or Hub repository ids "org/name", or * or none (${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length > 1 ? 'are' : 'is'} neither)`);
  return [...new Set(repos)];
}

/** DEBUG as the seed workers read it: set to anything but 0, false, no or off. */
export function debugFromEnv(env: Env): boolean {
  const v = env.DEBUG?.trim().toLowerCase();
  return !!v && !['0', 'false', 'no', 'off'].includes(v);
}

/** The worker's settings from `env` (the process's environment); throws a ConfigError naming every bad variable. */
export function configFromEnv(env: Env): WorkerConfig {
  const r = new Reader(env);
  // The library's own settings (CT2_WHISPER_CACHE, CT2_WHISPER_VAD_MODEL, FFMPEG_PATH, HF_*), as the CLI reads them.
  const settings = settingsFromEnv(env);
  const named = r.raw('WHISPERX_MODEL') ?? r.raw('WHISPERX_MODEL_NAME') ?? r.raw('WHISPER_MODEL_NAME');
  const dir = r.raw('WHISPERX_MODEL_DIR');
  // WHISPERX_MODEL_DIR is the seed workers' download folder as well: used as the model only when it holds one.
  const fromDir = dir !== undefined && fs.existsSync(path.join(dir, 'model.bin'));
  const model = named ?? (fromDir ? dir : DEFAULT_WORKER_MODEL);
  const modelConfigured = named !== undefined || fromDir;
  const task = r.raw('TASK') === undefined ? undefined : r.oneOf<'transcribe' | 'translate'>('TASK', 'transcribe', ['transcribe', 'translate']);
  const batch = r.raw('MODEL_BATCH_SIZE') === undefined ? undefined : r.int('MODEL_BATCH_SIZE', DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE, 'chunks');
  const maxResultBytes = r.int('MAX_RESULT_BYTES', DEFAULT_MAX_RESULT_BYTES, 1024, 1024 ** 3, 'bytes');
  const printMounts = r.flag('PRINT_MOUNTS');
  // WHISPERX_DEVICE wins over WHISPER_DEVICE; both are checked.
  const whisperDevice = r.oneOf<Device>('WHISPER_DEVICE', 'auto', DEVICES);
  const device = r.raw('WHISPERX_DEVICE') !== undefined ? r.oneOf<Device>('WHISPERX_DEVICE', 'auto', DEVICES) : whisperDevice;
  const computeType = r.oneOf<ComputeType>('COMPUTE_TYPE', 'auto', COMPUTE_TYPES);
  const cores = os.availableParallelism();
  const cpuThreads = r.int('CPU_THREADS', cores, 1, cores * 4, 'threads', `at most 4 per core; ${cores} cores`);
  const maxCachedModels = r.int('MAX_CACHED_MODELS', 2, 1, 16, 'models');
  const jobTimeoutS = r.positive('JOB_TIMEOUT_S', DEFAULT_JOB_TIMEOUT_S, Math.floor(MAX_TIMER_MS / 1000), 'seconds');
  const maxAudioSeconds = r.positive('MAX_AUDIO_SECONDS', DEFAULT_MAX_AUDIO_SECONDS, 10 * 24 * 3600, 'seconds');
  const langs = r.raw('SUPPORTED_LANGUAGES');
  const list = (langs ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const badLangs = list.filter((l) => !/^[a-z]{2,3}$/.test(l));
  if (langs !== undefined && (badLangs.length || !list.length)) r.bad('SUPPORTED_LANGUAGES', langs, 'comma-separated language codes such as en,nl,de');
  const defaultLanguage = r.raw('DEFAULT_LANGUAGE_CODE')?.toLowerCase();
  if (defaultLanguage !== undefined && !/^[a-z]{2,3}$/.test(defaultLanguage)) r.bad('DEFAULT_LANGUAGE_CODE', env.DEFAULT_LANGUAGE_CODE!.trim(), 'a language code such as en');
  const limits = fetchLimits(r);
  const storageConfig = storage(r, env);
  const modelPolicy: ModelPolicy = { roots: modelRoots(r, settings, model), hubRepos: hubRepos(r), configured: model };
  if (r.problems.length) throw new ConfigError(r.problems);
  return {
    model,
    modelConfigured,
    defaultTask: task,
    defaultBatchSize: batch,
    maxResultBytes,
    printMounts,
    debug: debugFromEnv(env),
    device,
    computeType,
    cpuThreads,
    maxCachedModels,
    jobsDir: env.JOBS_DIR || env.TMPDIR || os.tmpdir(),
    supportedLanguages: list.length ? list : undefined,
    defaultLanguage,
    storage: storageConfig,
    limits,
    jobTimeoutS,
    maxAudioSeconds,
    modelPolicy,
    cacheDir: settings.cacheDir,
    hub: settings.hub,
    vadModelPath: settings.vadModelPath,
    ...(settings.diarizationModel ? { diarizationModel: settings.diarizationModel } : {}),
    ffmpegPath: settings.ffmpegPath,
  };
}
