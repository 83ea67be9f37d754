// Downloads a CTranslate2 Whisper model from the Hugging Face Hub into the hub's cache layout
// (models--org--name/{blobs,snapshots,refs}), with @huggingface/hub. Honours HF_HOME,
// HF_HUB_CACHE, HF_TOKEN, HF_ENDPOINT and offline mode (HF_HUB_OFFLINE=1).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { downloadFileToCacheDir, listFiles } from '@huggingface/hub';
import { InputError } from './errors.js';

/** faster-whisper's names for the converted models it downloads. */
export const HUB_MODELS: Record<string, string> = {
  'tiny.en': 'Systran/faster-whisper-tiny.en',
  tiny: 'Systran/faster-whisper-tiny',
  'base.en': 'Systran/faster-whisper-base.en',
  base: 'Systran/faster-whisper-base',
  'small.en': 'Systran/faster-whisper-small.en',
  small: 'Systran/faster-whisper-small',
  'medium.en': 'Systran/faster-whisper-medium.en',
  medium: 'Systran/faster-whisper-medium',
  'large-v1': 'Systran/faster-whisper-large-v1',
  'large-v2': 'Systran/faster-whisper-large-v2',
  'large-v3': 'Systran/faster-whisper-large-v3',
  large: 'Systran/faster-whisper-large-v3',
  'distil-large-v2': 'Systran/faster-distil-whisper-large-v2',
  'distil-medium.en': 'Systran/faster-distil-whisper-medium.en',
  'distil-small.en': 'Systran/faster-distil-whisper-small.en',
  'distil-large-v3': 'Systran/faster-distil-whisper-large-v3',
  'distil-large-v3.5': 'distil-whisper/distil-large-v3.5-ct2',
  'large-v3-turbo': 'mobiuslabsgmbh/faster-whisper-large-v3-turbo',
  turbo: 'mobiuslabsgmbh/faster-whisper-large-v3-turbo',
};

/** The files faster-whisper takes from a model repository. */
const WANTED = [/^config\.json$/, /^preprocessor_config\.json$/, /^model\.bin$/, /^tokenizer\.json$/, /^vocabulary\.[^/]+$/];

/** The Hugging Face hub cache (HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

/** The repository faster-whisper uses for a model name in HUB_MODELS, if it is one. */
export function hubRepoFor(name: string): string | undefined {
  return Object.hasOwn(HUB_MODELS, name) ? HUB_MODELS[name] : undefined;
}

export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

function offline(): boolean {
  return ['1', 'true', 'yes', 'on'].includes((process.env.HF_HUB_OFFLINE || '').toLowerCase());
}

function repoFolder(repo: string): string {
  return path.join(hubCacheDir(), `models--${repo.split('/').join('--')}`);
}

/** A snapshot of `repo` already in the cache (the revision's ref, else the newest snapshot). */
export function cachedSnapshot(repo: string, revision = 'main'): string | undefined {
  const folder = repoFolder(repo);
  const refFile = path.join(folder, 'refs', revision);
  const candidates: string[] = [];
  if (fs.existsSync(refFile)) candidates.push(path.join(folder, 'snapshots', fs.readFileSync(refFile, 'utf8').trim()));
  if (/^[0-9a-f]{40}$/.test(revision)) candidates.push(path.join(folder, 'snapshots', revision));
  const snaps = path.join(folder, 'snapshots');
  if (fs.existsSync(snaps)) {
    const all = fs.readdirSync(snaps).map((d) => path.join(snaps, d));
    all.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    candidates.push(...all);
  }
  return candidates.find((d) => fs.existsSync(path.join(d, 'model.bin')));
}

/** Downloads (or finds in the cache) a model repository; returns its snapshot directory. */
export async function downloadModel(repo: string, opts: { revision?: string; signal?: AbortSignal } = {}): Promise<string> {
  const revision = opts.revision ?? 'main';
  if (offline()) {
    const dir = cachedSnapshot(repo, revision);
    if (!dir) throw new InputError(`model ${repo} is not in the Hugging Face cache (${hubCacheDir()}) and HF_HUB_OFFLINE is set`);
    return dir;
  }
  const hubUrl = hubEndpoint();
  const accessToken = process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN || undefined;
  const cacheDir = hubCacheDir();
  const common = { repo: { type: 'model' as const, name: repo }, revision, hubUrl, accessToken };
  let files: string[];
  try {
    files = [];
    for await (const entry of listFiles({ ...common, recursive: false })) {
      if (entry.type === 'file' && WANTED.some((re) => re.test(entry.path))) files.push(entry.path);
    }
  } catch (e) {
    const cached = cachedSnapshot(repo, revision);
    if (cached) return cached;
    const why = (e as Error).message;
    if (/not found|404|Repository not found/i.test(why)) throw new InputError(`model repository ${repo} was not found on ${hubUrl}`);
    throw new Error(`cannot list the files of ${repo} on ${hubUrl}: ${why}`);
  }
  if (!files.includes('model.bin')) throw new InputError(`${repo} on ${hubUrl} is not a CTranslate2 model (no model.bin)`);
  let snapshot = '';
  for (const file of files) {
    if (opts.signal?.aborted) throw new Error('model download aborted');
    const p = await downloadFileToCacheDir({ ...common, path: file, cacheDir });
    snapshot = path.dirname(p);
  }
  // Record the ref as huggingface_hub does, so offline runs find this snapshot.
  const refFile = path.join(repoFolder(repo), 'refs', revision);
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    fs.mkdirSync(path.dirname(refFile), { recursive: true });
    fs.writeFileSync(refFile, path.basename(snapshot));
  }
  return snapshot;
}
