// The worker's settings, read from the environment the seed workers use.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { limitsFromEnv, type FetchLimits } from './audio-source.js';
import { storageFromEnv, type StorageConfig } from './storage.js';
import type { Device, ComputeType } from '../model.js';

export interface WorkerConfig {
  /** A model name, Hub id or path: WHISPERX_MODEL / WHISPERX_MODEL_NAME / WHISPER_MODEL_NAME, else WHISPERX_MODEL_DIR, else "small". */
  model: string;
  device: Device;
  computeType: ComputeType;
  cpuThreads: number;
  maxCachedModels: number;
  jobsDir: string;
  supportedLanguages?: string[];
  defaultLanguage?: string;
  storage?: StorageConfig;
  limits: FetchLimits;
}

export const DEFAULT_WORKER_MODEL = 'small';

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const named = env.WHISPERX_MODEL || env.WHISPERX_MODEL_NAME || env.WHISPER_MODEL_NAME;
  const dir = env.WHISPERX_MODEL_DIR;
  const model = named || (dir && fs.existsSync(path.join(dir, 'model.bin')) ? dir : DEFAULT_WORKER_MODEL);
  const device = (env.WHISPERX_DEVICE || env.WHISPER_DEVICE || 'auto').toLowerCase() as Device;
  const list = (env.SUPPORTED_LANGUAGES || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return {
    model,
    device,
    computeType: (env.COMPUTE_TYPE || 'auto').toLowerCase() as ComputeType,
    cpuThreads: Number(env.CPU_THREADS) > 0 ? Number(env.CPU_THREADS) : os.availableParallelism(),
    maxCachedModels: Number(env.MAX_CACHED_MODELS) > 0 ? Number(env.MAX_CACHED_MODELS) : 2,
    jobsDir: env.JOBS_DIR || env.TMPDIR || os.tmpdir(),
    supportedLanguages: list.length ? list : undefined,
    defaultLanguage: env.DEFAULT_LANGUAGE_CODE?.trim().toLowerCase() || undefined,
    storage: storageFromEnv(env),
    limits: limitsFromEnv(env),
  };
}

