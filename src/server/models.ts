// The models a server offers: by our names (a cache name such as `tiny.en`, or a directory's
// base name), and by aliases: the ids OpenAI's clients send (`whisper-1`, `gpt-4o-transcribe`,
// ...), each the default model unless `--model-alias NAME=MODEL` says otherwise. Models are
// loaded on first use and kept loaded.
import { WhisperModel, type LoadOptions } from '../model.js';
import { ApiError } from './openai-errors.js';

export interface ServedModel {
  /** The name clients send (`model`), and /v1/models lists. */
  id: string;
  dir: string;
}

/** The model id OpenAI's clients send when none is set (Whisper's own id). */
export const OPENAI_DEFAULT_MODEL = 'whisper-1';
/**
 * OpenAI's transcription model ids, which clients send by default: each is an alias of the default
 * model unless one is given (`--model-alias`).
 */
export const OPENAI_MODEL_IDS: readonly string[] = [OPENAI_DEFAULT_MODEL, 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-mini-transcribe-2025-12-15', 'gpt-4o-transcribe-diarize'];

/** OpenAI's ids whose model labels speakers (diarization; routes.ts says for which formats). */
export const DIARIZING_MODEL_IDS: ReadonlySet<string> = new Set(['gpt-4o-transcribe-diarize']);

/** An alias name: what a client may send as `model` (no spaces or control characters, at most 128). */
export const ALIAS_NAME = /^[^\s\p{Cc}=,]{1,128}$/u;

export class ModelRegistry {
  private readonly loaded = new Map<string, Promise<WhisperModel>>();
  /** Alias → the served model's id. */
  readonly aliases: ReadonlyMap<string, string>;
  readonly created = Math.floor(Date.now() / 1000);

  /** `models[0]` is the default; `aliases` (name → a served model's id) add to and override OPENAI_MODEL_IDS. */
  constructor(readonly models: ServedModel[], private readonly load: LoadOptions, aliases: Record<string, string> = {}) {
    if (models.length === 0) throw new Error('a server needs at least one model');
    const all = new Map(OPENAI_MODEL_IDS.map((id) => [id, models[0].id]));
    for (const [name, id] of Object.entries(aliases)) {
      if (!ALIAS_NAME.test(name)) throw new Error(`model alias ${JSON.stringify(name)}: a name has no spaces, "=" or ",", and at most 128 characters`);
      if (models.some((m) => m.id === name)) throw new Error(`model alias ${name}: a served model has that name`);
      if (!models.some((m) => m.id === id)) throw new Error(`model alias ${name}=${id}: ${id} is not a served model (${models.map((m) => m.id).join(', ')})`);
      all.set(name, id);
    }
    this.aliases = all;
  }

  get defaultModel(): ServedModel {
    return this.models[0];
  }

  /** The model a request names, by its id or an alias; a 404 in OpenAI's words otherwise. */
  find(name: string): ServedModel {
    const id = this.aliases.get(name) ?? name;
    const m = this.models.find((x) => x.id === id);
    if (!m) {
      throw new ApiError(404, `The model \`${name}\` does not exist or you do not have access to it. This server serves: ${this.ids().join(', ')}.`, 'invalid_request_error', 'model', 'model_not_found');
    }
    return m;
  }

  /** Every name a request may send: the aliases, then the served models. */
  ids(): string[] {
    return [...this.aliases.keys(), ...this.models.map((m) => m.id)];
  }

  get(model: ServedModel): Promise<WhisperModel> {
    let m = this.loaded.get(model.id);
    if (!m) {
      m = WhisperModel.load(model.dir, this.load);
      this.loaded.set(model.id, m);
      m.catch(() => this.loaded.delete(model.id));
    }
    return m;
  }

  /** OpenAI's model list: the aliases and the served models. */
  list(): { object: 'list'; data: Array<{ id: string; object: 'model'; created: number; owned_by: string }> } {
    return { object: 'list', data: this.ids().map((id) => ({ id, object: 'model' as const, created: this.created, owned_by: 'ct2-whisper' })) };
  }

  async dispose(): Promise<void> {
    for (const m of this.loaded.values()) (await m.catch(() => undefined))?.dispose();
    this.loaded.clear();
  }
}
