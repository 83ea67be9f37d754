// Finds a model directory from a path or a name of a model in the local cache
// (${CT2_WHISPER_CACHE:-~/.cache/ct2-whisper}/models/<name>, filled by scripts/fetch-models.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from './errors.js';

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

/** A directory path, or the name of a model in the local cache; no name: the default. */
export function resolveLocalModel(nameOrPath?: string): ResolvedModel {
  if (!nameOrPath) {
    const found = DEFAULT_FALLBACKS.find((n) => isModelDir(cachedModelDir(n)));
    if (!found) {
      throw new InputError(`no model given and none in ${path.join(cacheDir(), 'models')}; run \`npm run models\` or pass --model`);
    }
    const note = found === DEFAULT_MODEL ? undefined : `the default model "${DEFAULT_MODEL}" is not in the cache; using "${found}"`;
    return { name: found, dir: cachedModelDir(found), note };
  }
  if (fs.existsSync(nameOrPath) && fs.statSync(nameOrPath).isDirectory()) {
    return { name: path.basename(path.resolve(nameOrPath)), dir: nameOrPath };
  }
  if (!nameOrPath.includes('/') && isModelDir(cachedModelDir(nameOrPath))) {
    return { name: nameOrPath, dir: cachedModelDir(nameOrPath) };
  }
  throw new InputError(`model not found: ${nameOrPath} is neither a model directory nor a model in ${path.join(cacheDir(), 'models')}`);
}
