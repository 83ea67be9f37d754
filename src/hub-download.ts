// Downloads a CTranslate2 Whisper model from the Hugging Face Hub into the hub's cache layout
// (models--org--name/{blobs,snapshots,refs}), with @huggingface/hub. Where the cache is, which Hub,
// the token and offline mode are HubOptions that the caller passes; nothing here reads the
// environment (the CLI and the worker map HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_ENDPOINT and
// HF_HUB_OFFLINE to them: see env.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { downloadFileToCacheDir, listFiles } from '@huggingface/hub';
import { ModelError, abortError } from './errors.js';

/** The Hugging Face Hub and its local cache. Every field is optional, with huggingface_hub's defaults. */
export interface HubOptions {
  /** The hub cache folder (huggingface_hub's HF_HUB_CACHE); default ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** The Hub's base URL (HF_ENDPOINT); default https://huggingface.co. */
  endpoint?: string;
  /** An access token (HF_TOKEN), for private or gated repositories. */
  token?: string;
  /** Use the cache only, never the network (HF_HUB_OFFLINE). */
  offline?: boolean;
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

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

/** The Hugging Face hub cache: `hub.cacheDir`, else ~/.cache/huggingface/hub. */
export function hubCacheDir(hub: HubOptions = {}): string {
  return hub.cacheDir || path.join(os.homedir(), '.cache', 'huggingface', 'hub');
}

/** The repository faster-whisper uses for a model name in HUB_MODELS, if it is one. */
export function hubRepoFor(name: string): string | undefined {
  return Object.hasOwn(HUB_MODELS, name) ? HUB_MODELS[name] : undefined;
}

/** The Hub's base URL: `hub.endpoint`, else https://huggingface.co; no trailing slash. */
export function hubEndpoint(hub: HubOptions = {}): string {
  return (hub.endpoint || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/**
 * @huggingface/hub's downloadFileToCacheDir writes "Downloading <file> to <path>" with
 * console.debug, which is stdout: the CLI's transcript would carry it. Its console.debug is
 * silenced while downloads run (counted, for downloads at the same time).
 */
let quietDownloads = 0;
let savedDebug: typeof console.debug | undefined;
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  if (quietDownloads++ === 0) {
    savedDebug = console.debug;
    console.debug = () => undefined;
  }
  try {
    return await f();
  } finally {
    if (--quietDownloads === 0 && savedDebug) console.debug = savedDebug;
  }
}

/** The HTTP status of a failed Hub call (@huggingface/hub's HubApiError), if it has one. */
function hubStatus(e: unknown): number | undefined {
  const status = (e as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function repoFolder(repo: string, hub: HubOptions): string {
  return path.join(hubCacheDir(hub), `models--${repo.split('/').join('--')}`);
}

/** A snapshot of `repo` already in the cache (the revision's ref, else the newest snapshot). */
export function cachedSnapshot(repo: string, revision = 'main', hub: HubOptions = {}, required = 'model.bin'): string | undefined {
  const folder = repoFolder(repo, hub);
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
  return candidates.find((d) => fs.existsSync(path.join(d, required)));
}

export interface DownloadOptions {
  revision?: string;
  signal?: AbortSignal;
  /** The Hub and its cache (default: huggingface.co, ~/.cache/huggingface/hub, online, no token). */
  hub?: HubOptions;
  /**
   * The files to fetch, all required (a repository of other models than Whisper's, such as the
   * diarization models); default: a CTranslate2 model's files, model.bin required.
   */
  files?: string[];
}

/**
 * Downloads (or finds in the cache) a model repository; returns its snapshot directory. A model
 * that cannot be had (not on the Hub, not a CTranslate2 model, the Hub unreachable with nothing
 * cached, offline with nothing cached) rejects with a ModelError.
 */
export async function downloadModel(repo: string, opts: DownloadOptions = {}): Promise<string> {
  const revision = opts.revision ?? 'main';
  const hub = opts.hub ?? {};
  const cacheDir = hubCacheDir(hub);
  const required = opts.files ?? ['model.bin'];
  const wanted = (p: string) => (opts.files ? opts.files.includes(p) : WANTED.some((re) => re.test(p)));
  if (hub.offline) {
    const dir = cachedSnapshot(repo, revision, hub, required[0]);
    if (!dir) throw new ModelError(`model ${repo} is not in the Hugging Face cache (${cacheDir}) and the Hub is offline (hub.offline; HF_HUB_OFFLINE for the CLI and the worker)`);
    return dir;
  }
  const hubUrl = hubEndpoint(hub);
  const accessToken = hub.token || undefined;
  const common = { repo: { type: 'model' as const, name: repo }, revision, hubUrl, accessToken };
  let files: string[];
  try {
    files = [];
    for await (const entry of listFiles({ ...common, recursive: false })) {
      if (entry.type === 'file' && wanted(entry.path)) files.push(entry.path);
    }
  } catch (e) {
    const cached = cachedSnapshot(repo, revision, hub, required[0]);
    if (cached) return cached;
    const why = (e as Error).message;
    const status = hubStatus(e);
    // The Hub answers 401 for a repository that does not exist (or is private) without a token.
    if (status === 404 || (status === 401 && !accessToken)) {
      throw new ModelError(`model repository ${repo} was not found on ${hubUrl}${status === 401 ? ' (or it needs an access token: HF_TOKEN)' : ''}`);
    }
    throw new ModelError(`cannot list the files of ${repo} on ${hubUrl}: ${why}`);
  }
  if (!opts.files && !files.includes('model.bin')) throw new ModelError(`${repo} on ${hubUrl} is not a CTranslate2 model (no model.bin)`);
  const missing = required.filter((f) => !files.includes(f));
  if (missing.length) throw new ModelError(`${repo} on ${hubUrl} does not hold ${missing.join(', ')}`);
  let snapshot = '';
  for (const file of files) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    let p: string;
    try {
      p = await quietly(() => downloadFileToCacheDir({ ...common, path: file, cacheDir }));
    } catch (e) {
      // The Hub's answer or the network (fetch fails with a TypeError): the model could not be
      // had. Anything else (the disk: ENOSPC, EACCES) is passed on as it is.
      if (hubStatus(e) !== undefined || e instanceof TypeError) {
        throw new ModelError(`cannot download ${file} of ${repo} from ${hubUrl}: ${(e as Error).message}`);
      }
      throw e;
    }
    snapshot = path.dirname(p);
  }
  // Record the ref as huggingface_hub does, so offline runs find this snapshot.
  const refFile = path.join(repoFolder(repo, hub), 'refs', revision);
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    fs.mkdirSync(path.dirname(refFile), { recursive: true });
    fs.writeFileSync(refFile, path.basename(snapshot));
  }
  return snapshot;
}
