// The models a worker has on disk without the network: ct2-whisper's model cache and the Hugging
// Face cache. Used to say what can be chosen when the default model cannot be had.
import fs from 'node:fs';
import path from 'node:path';
import { HUB_MODELS } from '../hub-download.js';

/** A model on disk: the name a job or WHISPER_MODEL_NAME gives for it, and where it is. */
export interface CachedModel {
  name: string;
  dir: string;
  source: 'cache' | 'hub';
}

const hasModel = (dir: string) => fs.existsSync(path.join(dir, 'model.bin'));

function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The complete models in `<cacheDir>/models` and in the Hub cache (`models--org--name`, any snapshot). */
export function cachedModels(cacheDir: string, hubCacheDir: string): CachedModel[] {
  const out: CachedModel[] = [];
  const models = path.join(cacheDir, 'models');
  for (const name of entries(models)) {
    const dir = path.join(models, name);
    if (hasModel(dir)) out.push({ name, dir, source: 'cache' });
  }
  for (const folder of entries(hubCacheDir)) {
    const m = /^models--([^-].*?)--(.+)$/.exec(folder);
    if (!m) continue;
    const snapshots = path.join(hubCacheDir, folder, 'snapshots');
    const snap = entries(snapshots).map((s) => path.join(snapshots, s)).find(hasModel);
    if (!snap) continue;
    const repo = `${m[1]}/${m[2]}`;
    // faster-whisper's name for it where it has one (the first: "large-v3" rather than "large").
    const name = Object.keys(HUB_MODELS).find((n) => HUB_MODELS[n] === repo) ?? repo;
    if (!out.some((o) => o.name === name)) out.push({ name, dir: snap, source: 'hub' });
  }
  return out;
}
