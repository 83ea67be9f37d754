// Finds a model directory: a path, a model in the local cache
// (${CT2_WHISPER_CACHE:-~/.cache/ct2-whisper}/models/<name>, filled by scripts/fetch-models.mjs),
// or a repository on the Hugging Face Hub (hub-download.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from './errors.js';
import { HUB_MODELS, downloadModel, hubEndpoint } from './hub-download.js';

export const DEFAULT_MODEL = 'small';
/** What the default falls back to, in order, when it is not in the cache. */
const DEFAULT_FALLBACKS = ['small', 'base', 'tiny.en'];

export function cacheDir(): string {
  return process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
}

export function cachedModelDir(name: string): string {
  return path.join(cacheDir(), 'models', name);
}

function isModelDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.bin'));
}

export interface ResolvedModel {
  name: string;
  dir: string;
  /** Set when the default model was missing and another was used. */
  note?: string;
}


/** The default model from the local cache, or the first of its fallbacks that is there. */
export function defaultLocalModel(): ResolvedModel {
  const found = DEFAULT_FALLBACKS.find((n) => isModelDir(cachedModelDir(n)));
  if (!found) {
    throw new InputError(`no model given and none in ${path.join(cacheDir(), 'models')}; run \`npm run models\` or pass --model`);
  }
  const note = found === DEFAULT_MODEL ? undefined : `the default model "${DEFAULT_MODEL}" is not in the cache; using "${found}"`;
  return { name: found, dir: cachedModelDir(found), note };
}

export interface ResolvedSource extends ResolvedModel {
  /** Where the model came from: a path, the local model cache, or a Hub repository. */
  source: 'path' | 'cache' | 'hub';
  repo?: string;
}

/**
 * A model by directory path, by name (tiny … large-v3, turbo, distil-*: the local model cache
 * first, then the Hub repository faster-whisper uses), or by Hub repository id ("org/name").
 */
export async function resolveModel(nameOrPath: string, opts: { signal?: AbortSignal } = {}): Promise<ResolvedSource> {
  if (!nameOrPath || typeof nameOrPath !== 'string') throw new InputError('model must be a non-empty string');
  if (fs.existsSync(nameOrPath) && fs.statSync(nameOrPath).isDirectory()) {
    if (!isModelDir(nameOrPath)) throw new InputError(`${nameOrPath} is not a CTranslate2 Whisper model: model.bin is missing`);
    return { name: path.basename(path.resolve(nameOrPath)), dir: nameOrPath, source: 'path' };
  }
  if (!nameOrPath.includes('/') && isModelDir(cachedModelDir(nameOrPath))) {
    return { name: nameOrPath, dir: cachedModelDir(nameOrPath), source: 'cache' };
  }
  const repo = HUB_MODELS[nameOrPath] ?? (/^[\w.-]+\/[\w.-]+$/.test(nameOrPath) && !nameOrPath.startsWith('.') ? nameOrPath : undefined);
  if (!repo) {
    throw new InputError(`unknown model ${JSON.stringify(nameOrPath)}: not a directory, not one of ${Object.keys(HUB_MODELS).join(', ')}, and not a Hub repository id`);
  }
  const dir = await downloadModel(repo, opts);
  return { name: nameOrPath, dir, source: 'hub', repo: `${hubEndpoint()}/${repo}` };
}
