// Finds a model directory: a path, a model in the local cache (<cacheDir>/models/<name>, filled
// by scripts/fetch-models.mjs), or a repository on the Hugging Face Hub (hub-download.ts).
// resolveModel serves the library and the CLI, unrestricted; checkJobModel/resolveJobModel serve
// job input in the worker, limited to model roots and a Hub allow-list that the worker's config
// passes in. Where to look (ModelLocations) is passed in too: nothing here reads the environment
// (the CLI and the worker map CT2_WHISPER_CACHE and the HF_* variables to it: see env.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, ModelError } from './errors.js';
import { HUB_MODELS, downloadModel, hubEndpoint, hubRepoFor, type HubOptions } from './hub-download.js';

export const DEFAULT_MODEL = 'small';
/** What the default falls back to, in order, when it is not in the cache. */
/**
 * With no model given, the best one in the cache: faster-whisper's names from the most to the
 * least accurate. `small` (DEFAULT_MODEL) is what the default was when nothing better is there.
 */
const BEST_FIRST = [
  'large-v3', 'large-v2', 'large-v1', 'large-v3-turbo', 'turbo', 'distil-large-v3', 'distil-large-v2', 'medium', 'medium.en',
  'distil-medium.en', 'small', 'small.en', 'distil-small.en', 'base', 'base.en', 'tiny', 'tiny.en',
];

/** Where models are looked for. Every field is optional, with the defaults below. */
export interface ModelLocations {
  /** ct2-whisper's cache (CT2_WHISPER_CACHE for the CLI and the worker); models by name are in its `models/`. Default ~/.cache/ct2-whisper. */
  cacheDir?: string;
  /** The Hugging Face Hub and its cache, for names and ids not in the local cache. */
  hub?: HubOptions;
}

export interface ResolveOptions extends ModelLocations {
  signal?: AbortSignal;
}

/** ct2-whisper's cache folder: `locations.cacheDir`, else ~/.cache/ct2-whisper. */
export function cacheDir(locations: ModelLocations = {}): string {
  return locations.cacheDir || path.join(os.homedir(), '.cache', 'ct2-whisper');
}

/** Where the local cache keeps the model called `name`. */
export function cachedModelDir(name: string, locations: ModelLocations = {}): string {
  return path.join(cacheDir(locations), 'models', name);
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
export function defaultLocalModel(locations: ModelLocations = {}): ResolvedModel {
  const found = BEST_FIRST.find((n) => isModelDir(cachedModelDir(n, locations)));
  if (!found) {
    throw new ModelError(`no model given and none in ${path.join(cacheDir(locations), 'models')}; run \`npm run models\` or pass --model`);
  }
  const rank = (n: string) => BEST_FIRST.indexOf(n);
  const note = rank(found) > rank(DEFAULT_MODEL)
    ? `the default model "${DEFAULT_MODEL}" is not in the cache; using "${found}"`
    : found === DEFAULT_MODEL ? undefined : `using "${found}", the best model in the cache`;
  return { name: found, dir: cachedModelDir(found, locations), note };
}

export interface ResolvedSource extends ResolvedModel {
  /** Where the model came from: a path, the local model cache, or a Hub repository. */
  source: 'path' | 'cache' | 'hub';
  repo?: string;
}

/**
 * A model by directory path, by name (tiny … large-v3, turbo, distil-*: the local model cache
 * first, then the Hub repository faster-whisper uses), or by Hub repository id ("org/name").
 * A model that is not there or cannot be had rejects with a ModelError.
 */
export async function resolveModel(nameOrPath: string, opts: ResolveOptions = {}): Promise<ResolvedSource> {
  if (!nameOrPath || typeof nameOrPath !== 'string') throw new InputError('model must be a non-empty string');
  if (fs.existsSync(nameOrPath) && fs.statSync(nameOrPath).isDirectory()) {
    if (!isModelDir(nameOrPath)) throw new ModelError(`${nameOrPath} is not a CTranslate2 Whisper model: model.bin is missing`);
    return { name: path.basename(path.resolve(nameOrPath)), dir: nameOrPath, source: 'path' };
  }
  if (!nameOrPath.includes('/') && isModelDir(cachedModelDir(nameOrPath, opts))) {
    return { name: nameOrPath, dir: cachedModelDir(nameOrPath, opts), source: 'cache' };
  }
  const repo = hubRepoFor(nameOrPath) ?? (/^[\w.-]+\/[\w.-]+$/.test(nameOrPath) && !nameOrPath.startsWith('.') ? nameOrPath : undefined);
  if (!repo) {
    throw new ModelError(`unknown model ${JSON.stringify(nameOrPath)}: not a directory, not one of ${Object.keys(HUB_MODELS).join(', ')}, and not a Hub repository id`);
  }
  const dir = await downloadModel(repo, { signal: opts.signal, hub: opts.hub });
  return { name: nameOrPath, dir, source: 'hub', repo: `${hubEndpoint(opts.hub)}/${repo}` };
}

/** What a job may name as its model (the worker's config builds it from the environment). */
export interface ModelPolicy {
  /** Directories a job's model directory must lie in, compared by real path (symlinks and ".." resolved). */
  roots: string[];
  /** Hub repository ids a job may name, directly or by a name in HUB_MODELS; "*" for any. */
  hubRepos: string[] | '*';
  /** The operator's own model (WHISPER_MODEL_NAME and the like): always allowed, resolved as resolveModel does. */
  configured?: string;
}

/** A model name: the local model cache's folder names and HUB_MODELS's keys. */
const MODEL_NAME = /^[A-Za-z0-9][\w.-]{0,127}$/;
/** A Hub repository id as the Hub allows them ("org/name", no ".." and no leading dot or dash). */
const HUB_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

export function isHubRepoId(s: string): boolean {
  return HUB_ID.test(s) && !s.includes('..');
}

/** The default Hub allow-list: faster-whisper's model names' repositories. */
export function defaultHubRepos(): string[] {
  return [...new Set(Object.values(HUB_MODELS))];
}

function realDir(p: string): string | undefined {
  try {
    const real = fs.realpathSync(p);
    return fs.statSync(real).isDirectory() ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The real path of `dir` when it is a directory inside (or equal to) one of `roots`, compared
 * after resolving symlinks and "..", and holds a model.bin; else undefined.
 */
export function modelDirUnderRoots(dir: string, roots: string[]): string | undefined {
  const real = realDir(dir);
  if (!real) return undefined;
  const inside = roots.some((root) => {
    const r = realDir(root);
    if (!r) return false;
    const rel = path.relative(r, real);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
  });
  if (!inside) return undefined;
  try {
    return fs.statSync(path.join(real, 'model.bin')).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The allow-list's spelling of `repo` (ids compare without case, as the Hub's do), or undefined when not allowed. */
function hubAllowed(repo: string, allowed: string[] | '*'): string | undefined {
  if (allowed === '*') return repo;
  const r = repo.toLowerCase();
  return allowed.find((a) => a.toLowerCase() === r);
}

/** Where an allowed job model comes from (checkJobModel). */
export type JobModelPlan =
  | { kind: 'configured' }
  | { kind: 'dir'; source: 'path' | 'cache'; dir: string }
  | { kind: 'hub'; repo: string };

/**
 * Checks a job's `model` without loading or downloading anything; throws the refusal, else says
 * where the model comes from. Allowed: the worker's configured model (always); an absolute path
 * to a model directory under `policy.roots`; a name in the local model cache (when the cache is
 * under a root) or in HUB_MODELS whose repository is allowed; an allowed Hub repository id.
 * Everything else — relative paths, paths outside the roots (also through symlinks or ".."),
 * directories without model.bin, missing paths, other Hub ids — is refused with one message, so
 * that a job cannot learn which paths exist.
 */
export function checkJobModel(nameOrPath: unknown, policy: ModelPolicy, locations: ModelLocations = {}): JobModelPlan {
  if (typeof nameOrPath !== 'string' || !nameOrPath) throw new InputError('model must be a non-empty string');
  if (policy.configured !== undefined && nameOrPath === policy.configured) return { kind: 'configured' };
  const refused = () => {
    const names = Object.keys(HUB_MODELS).filter((n) => hubAllowed(HUB_MODELS[n], policy.hubRepos));
    const shown = nameOrPath.length > 200 ? `${nameOrPath.slice(0, 200)}…` : nameOrPath;
    return new InputError(
      `unknown model ${JSON.stringify(shown)}: not a model this worker serves` +
        ` (${names.length ? `a name such as ${names.join(', ')}; ` : ''}` +
        `${policy.hubRepos === '*' ? 'a Hub repository id' : 'a Hub repository id listed in ALLOWED_HUB_MODELS'}; or the absolute path of a model directory under MODEL_ROOTS)`,
    );
  };
  if (nameOrPath.includes('\0')) throw refused();
  if (path.isAbsolute(nameOrPath)) {
    const dir = modelDirUnderRoots(nameOrPath, policy.roots);
    if (!dir) throw refused();
    return { kind: 'dir', source: 'path', dir };
  }
  let repo: string | undefined;
  if (MODEL_NAME.test(nameOrPath)) {
    const dir = modelDirUnderRoots(cachedModelDir(nameOrPath, locations), policy.roots);
    if (dir) return { kind: 'dir', source: 'cache', dir };
    repo = hubRepoFor(nameOrPath);
  } else if (isHubRepoId(nameOrPath)) {
    repo = nameOrPath;
  }
  const allowed = repo && hubAllowed(repo, policy.hubRepos);
  if (!allowed) throw refused();
  return { kind: 'hub', repo: allowed };
}

/** A job's `model` as checkJobModel allows it, found or downloaded. */
export async function resolveJobModel(nameOrPath: unknown, policy: ModelPolicy, opts: ResolveOptions = {}): Promise<ResolvedSource> {
  const plan = checkJobModel(nameOrPath, policy, opts);
  const name = nameOrPath as string;
  switch (plan.kind) {
    case 'configured':
      return resolveModel(name, opts);
    case 'dir':
      return { name: plan.source === 'path' ? path.basename(plan.dir) : name, dir: plan.dir, source: plan.source };
    case 'hub': {
      const dir = await downloadModel(plan.repo, { signal: opts.signal, hub: opts.hub });
      return { name, dir, source: 'hub', repo: `${hubEndpoint(opts.hub)}/${plan.repo}` };
    }
  }
}
