// `ct2-whisper models`: the models on this machine — ct2-whisper's cache (<cache>/models/<name>)
// and the Hugging Face hub cache (models--org--name/snapshots/<rev>) — with their size and
// whether they are multilingual, read from their files without loading them (CTranslate2 calls a
// Whisper model multilingual when its vocabulary has 51865 tokens or more).
import fs from 'node:fs';
import path from 'node:path';
import type { EnvSettings } from '../env.js';
import { hubCacheDir, HUB_MODELS } from '../hub-download.js';

export interface CachedModel {
  /** The name to pass to --model: a cache name, or the Hub repository id. */
  name: string;
  path: string;
  source: 'cache' | 'hub';
  /** Bytes of its files (symlinks followed). */
  size: number;
  /** From the vocabulary's size; null when it cannot be read. */
  multilingual: boolean | null;
  /** The files a model needs are there (model.bin, config.json, tokenizer.json or a vocabulary). */
  complete: boolean;
  /** faster-whisper's names for a Hub model (e.g. "tiny.en"). */
  aliases?: string[];
}

const MULTILINGUAL_VOCABULARY = 51865;

function dirSize(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir)) {
    try {
      const st = fs.statSync(path.join(dir, e));
      if (st.isFile()) total += st.size;
    } catch {
      // a dangling link counts as nothing
    }
  }
  return total;
}

/** Vocabulary size from vocabulary.json (a list) or vocabulary.txt (a token a line). */
function vocabularySize(dir: string): number | null {
  try {
    const json = path.join(dir, 'vocabulary.json');
    if (fs.existsSync(json)) {
      const list = JSON.parse(fs.readFileSync(json, 'utf8')) as unknown;
      return Array.isArray(list) ? list.length : null;
    }
    const txt = path.join(dir, 'vocabulary.txt');
    if (fs.existsSync(txt)) {
      const text = fs.readFileSync(txt, 'utf8');
      return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    }
  } catch {
    // unreadable: unknown
  }
  return null;
}

function describe(name: string, dir: string, source: CachedModel['source']): CachedModel | undefined {
  if (!fs.existsSync(path.join(dir, 'model.bin'))) return undefined;
  const vocab = vocabularySize(dir);
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  return {
    name,
    path: dir,
    source,
    size: dirSize(dir),
    multilingual: vocab === null ? null : vocab >= MULTILINGUAL_VOCABULARY,
    complete: has('config.json') && (has('tokenizer.json') || has('vocabulary.json') || has('vocabulary.txt')),
  };
}

const subdirs = (dir: string): string[] => {
  try {
    return fs.readdirSync(dir).filter((e) => {
      try {
        return fs.statSync(path.join(dir, e)).isDirectory();
      } catch {
        return false;
      }
    }).sort();
  } catch {
    return [];
  }
};

/** The models in ct2-whisper's cache, then the Hub cache's (newest snapshot of each repository). */
export function listCachedModels(settings: Pick<EnvSettings, 'cacheDir' | 'hub'>): CachedModel[] {
  const out: CachedModel[] = [];
  const local = path.join(settings.cacheDir, 'models');
  for (const name of subdirs(local)) {
    const m = describe(name, path.join(local, name), 'cache');
    if (m) out.push(m);
  }
  const hub = hubCacheDir(settings.hub);
  for (const folder of subdirs(hub)) {
    const match = /^models--([^-].*?)--(.+)$/.exec(folder);
    if (!match) continue;
    const repo = `${match[1]}/${match[2]}`;
    const snaps = path.join(hub, folder, 'snapshots');
    const newest = subdirs(snaps)
      .map((s) => path.join(snaps, s))
      .filter((s) => fs.existsSync(path.join(s, 'model.bin')))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    const m = newest && describe(repo, newest, 'hub');
    if (!m) continue;
    const aliases = Object.entries(HUB_MODELS).filter(([, r]) => r === repo).map(([n]) => n);
    if (aliases.length) m.aliases = aliases;
    out.push(m);
  }
  return out;
}

/** 145.2 MB, 1.5 GB (decimal units, as the Hub shows sizes). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A table: NAME, LANGUAGES, SIZE, PATH (and a note for incomplete models). */
export function renderModels(models: CachedModel[]): string {
  const rows = models.map((m) => [
    m.aliases ? `${m.name} (${m.aliases.join(', ')})` : m.name,
    m.multilingual === null ? 'unknown' : m.multilingual ? 'multilingual' : 'english-only',
    formatSize(m.size),
    m.path + (m.complete ? '' : '  (incomplete: config.json or tokenizer missing)'),
  ]);
  const header = ['NAME', 'LANGUAGES', 'SIZE', 'PATH'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
