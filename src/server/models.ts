// The models a server offers: by our names (a cache name such as `tiny.en`, or a directory's
// base name), `whisper-1` for the default one (what OpenAI clients send), loaded on first use
// and kept loaded.
import { WhisperModel, type LoadOptions } from '../model.js';
import { ApiError } from './openai-errors.js';

export interface ServedModel {
  /** The name clients send (`model`), and /v1/models lists. */
  id: string;
  dir: string;
}

/** OpenAI's name that maps to the default model. */
export const OPENAI_DEFAULT_MODEL = 'whisper-1';

export class ModelRegistry {
  private readonly loaded = new Map<string, Promise<WhisperModel>>();
  readonly created = Math.floor(Date.now() / 1000);

  /** `models[0]` is the default. */
  constructor(readonly models: ServedModel[], private readonly load: LoadOptions) {
    if (models.length === 0) throw new Error('a server needs at least one model');
  }

  get defaultModel(): ServedModel {
    return this.models[0];
  }

  /** The model a request names (`whisper-1`: the default); a 404 in OpenAI's words otherwise. */
  find(name: string): ServedModel {
    if (name === OPENAI_DEFAULT_MODEL) return this.defaultModel;
    const m = this.models.find((x) => x.id === name);
    if (!m) {
      throw new ApiError(404, `The model \`${name}\` does not exist or you do not have access to it. This server serves: ${[OPENAI_DEFAULT_MODEL, ...this.models.map((x) => x.id)].join(', ')}.`, 'invalid_request_error', 'model', 'model_not_found');
    }
    return m;
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

  /** OpenAI's model list. */
  list(): { object: 'list'; data: Array<{ id: string; object: 'model'; created: number; owned_by: string }> } {
    const entry = (id: string) => ({ id, object: 'model' as const, created: this.created, owned_by: 'ct2-whisper' });
    return { object: 'list', data: [entry(OPENAI_DEFAULT_MODEL), ...this.models.map((m) => entry(m.id))] };
  }

  async dispose(): Promise<void> {
    for (const m of this.loaded.values()) (await m.catch(() => undefined))?.dispose();
    this.loaded.clear();
  }
}

