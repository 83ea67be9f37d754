// The environment variables that the CLI and the worker honour for the library's own settings,
// mapped to the library's options. The library never reads the environment: the edges (cli.ts,
// worker/main.ts through worker/config.ts) call settingsFromEnv with the process's environment
// and pass what it returns. A program that embeds the library and wants the same variables does
// the same: it gives its environment to settingsFromEnv and the result to resolveModel (cacheDir,
// hub) and to transcribe (vadModelPath, ffmpegPath).
//
//   CT2_WHISPER_CACHE        cacheDir       ct2-whisper's cache (models by name in its models/)
//   CT2_WHISPER_VAD_MODEL,   vadModelPath   Silero VAD's ONNX file (else <cacheDir>/models/silero_vad_v6.onnx);
//     VAD_MODEL_PATH                         VAD_MODEL_PATH is the seed workers' name, CT2_WHISPER_VAD_MODEL wins
//   CT2_WHISPER_DIARIZATION_MODEL  diarizationModel  a directory with segmentation.onnx and embedding.onnx,
//                                                   or a Hub id (else <cacheDir>/models/diarization)
//   FFMPEG_PATH              ffmpegPath     the ffmpeg executable (else `ffmpeg` on PATH)
//   HF_HUB_CACHE,            hub.cacheDir   the Hugging Face hub cache, as huggingface_hub finds it, in
//     HUGGINGFACE_HUB_CACHE,                 this order (HUGGINGFACE_HUB_CACHE and TRANSFORMERS_CACHE are
//     TRANSFORMERS_CACHE,                    the older names that the seed workers still set), else
//     HF_HOME, XDG_CACHE_HOME                <HF_HOME>/hub, else <XDG_CACHE_HOME>/huggingface/hub
//   HF_ENDPOINT              hub.endpoint
//   HF_TOKEN,                hub.token
//     HUGGING_FACE_HUB_TOKEN
//   HF_HUB_OFFLINE           hub.offline    1, true, yes or on
//
// An empty (or blank) variable counts as unset.
import os from 'node:os';
import path from 'node:path';
import type { HubOptions } from './hub-download.js';
import { cacheDir as defaultCacheDir } from './model-path.js';
import { VAD_MODEL_FILE } from './vad.js';

/** An environment: the process's, or a record of variables for a test. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The library settings that the CLI and the worker take from the environment. */
export interface EnvSettings {
  /** CT2_WHISPER_CACHE, else ~/.cache/ct2-whisper. */
  cacheDir: string;
  /** The HF_* variables. */
  hub: HubOptions;
  /** CT2_WHISPER_VAD_MODEL, else VAD_MODEL_PATH, else silero_vad_v6.onnx in the cache's models/. */
  vadModelPath: string;
  /** FFMPEG_PATH; unset: `ffmpeg` on PATH. */
  ffmpegPath?: string;
  /** CT2_WHISPER_DIARIZATION_MODEL; unset: <cacheDir>/models/diarization. */
  diarizationModel?: string;
}

/** The value of `name`; undefined when unset, empty or blank. */
function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v && v.trim() ? v : undefined;
}

/**
 * The Hugging Face Hub settings from HF_HUB_CACHE (or its older names HUGGINGFACE_HUB_CACHE and
 * TRANSFORMERS_CACHE)/HF_HOME/XDG_CACHE_HOME, HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE.
 */
export function hubOptionsFromEnv(env: Env): HubOptions {
  const home = value(env, 'HF_HOME') ?? path.join(value(env, 'XDG_CACHE_HOME') ?? path.join(os.homedir(), '.cache'), 'huggingface');
  const hub: HubOptions = {
    cacheDir: value(env, 'HF_HUB_CACHE') ?? value(env, 'HUGGINGFACE_HUB_CACHE') ?? value(env, 'TRANSFORMERS_CACHE') ?? path.join(home, 'hub'),
    offline: ['1', 'true', 'yes', 'on'].includes((value(env, 'HF_HUB_OFFLINE') ?? '').toLowerCase()),
  };
  const endpoint = value(env, 'HF_ENDPOINT');
  if (endpoint) hub.endpoint = endpoint;
  const token = value(env, 'HF_TOKEN') ?? value(env, 'HUGGING_FACE_HUB_TOKEN');
  if (token) hub.token = token;
  return hub;
}

/** The library settings the CLI and the worker take from `env` (see the table above). */
export function settingsFromEnv(env: Env): EnvSettings {
  const cacheDir = defaultCacheDir({ cacheDir: value(env, 'CT2_WHISPER_CACHE') });
  const settings: EnvSettings = {
    cacheDir,
    hub: hubOptionsFromEnv(env),
    vadModelPath: value(env, 'CT2_WHISPER_VAD_MODEL') ?? value(env, 'VAD_MODEL_PATH') ?? path.join(cacheDir, 'models', VAD_MODEL_FILE),
  };
  const ffmpeg = value(env, 'FFMPEG_PATH');
  if (ffmpeg) settings.ffmpegPath = ffmpeg;
  const diarization = value(env, 'CT2_WHISPER_DIARIZATION_MODEL');
  if (diarization) settings.diarizationModel = diarization;
  return settings;
}
