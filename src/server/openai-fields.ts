// OpenAI's newer transcription fields, read onto ours: `include[]` (`logprobs`: the tokenLogprobs
// option) and `chunking_strategy` (`auto`, or server VAD settings: our VAD's parameters). Values
// are checked by the option table (src/options/spec.ts) and errors name OpenAI's field.
import { InputError } from '../errors.js';
import { checkValue, optionAt, optionMessage, valueFromText, type OptionSpec, type VadOptions } from '../options/index.js';
import { badRequest } from './openai-errors.js';

/** What `include[]` may hold. */
export const INCLUDE_VALUES = ['logprobs'] as const;

/** `include[]`: whether token log probabilities are asked for. */
export function includeOf(values: string[]): { logprobs: boolean } {
  for (const v of values) {
    if (!(INCLUDE_VALUES as readonly string[]).includes(v.trim())) {
      throw badRequest(`include[] may hold ${INCLUDE_VALUES.join(', ')}; got ${JSON.stringify(v)}`, 'include');
    }
  }
  return { logprobs: values.length > 0 };
}

/** chunking_strategy's server-VAD settings, by OpenAI's name, and the VAD parameter each sets. */
export const CHUNKING_FIELDS: Readonly<Record<string, keyof VadOptions>> = {
  /** Speech probability at or above which a window is speech. */
  threshold: 'threshold',
  /** Audio kept before speech; Silero's padding, which also keeps as much after it. */
  prefix_padding_ms: 'speechPadMs',
  /** Silence that ends a stretch of speech. */
  silence_duration_ms: 'minSilenceDurationMs',
};

/** A chunking_strategy field: `chunking_strategy` itself or one of its keys, `chunking_strategy[threshold]`. */
export const CHUNKING_FIELD = /^chunking_strategy(?:\[([^\]]*)\])?$/;

/**
 * chunking_strategy, as OpenAI's clients send it: `auto`; a JSON object (`{"type": "server_vad",
 * "threshold": 0.5, ...}`, as some clients write it in one field); or its keys as fields of their
 * own (`chunking_strategy[type]`, ..., as the official SDKs write an object in a form). Either
 * way the VAD runs; server VAD settings set its parameters. None given: undefined.
 */
export function chunkingOf(fields: ReadonlyMap<string, string[]>): VadOptions | undefined {
  const settings = new Map<string, unknown>();
  for (const [name, values] of fields) {
    const match = CHUNKING_FIELD.exec(name);
    if (!match) continue;
    const key = match[1] ?? '';
    if (values.length > 1) throw badRequest(`${name} was given ${values.length} times`, 'chunking_strategy');
    settings.set(key, values[0]);
  }
  if (settings.size === 0) return undefined;
  const whole = settings.get('');
  if (whole !== undefined) {
    if (settings.size > 1) throw badRequest('give chunking_strategy as one field ("auto" or a JSON object) or as its keys (chunking_strategy[type], ...), not both', 'chunking_strategy');
    return fromWhole(String(whole).trim());
  }
  return fromObject(Object.fromEntries(settings));
}

function fromWhole(text: string): VadOptions {
  if (text === 'auto') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest(`chunking_strategy must be "auto" or an object {"type": "server_vad", ${Object.keys(CHUNKING_FIELDS).map((k) => `"${k}"`).join(', ')}}, got ${JSON.stringify(text.slice(0, 100))}`, 'chunking_strategy');
  }
  if (parsed === 'auto') return {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest(`chunking_strategy must be "auto" or an object, got ${JSON.stringify(text.slice(0, 100))}`, 'chunking_strategy');
  }
  return fromObject(parsed as Record<string, unknown>);
}

/** {type, threshold, prefix_padding_ms, silence_duration_ms}: `type` server_vad (or auto, with no settings). */
function fromObject(o: Record<string, unknown>): VadOptions {
  const type = typeof o.type === 'string' ? o.type.trim() : o.type;
  if (type !== 'server_vad' && type !== 'auto') {
    throw badRequest(`chunking_strategy.type must be "server_vad" (or "auto"), got ${JSON.stringify(o.type ?? null)}`, 'chunking_strategy');
  }
  const vad: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (key === 'type') continue;
    const name = Object.hasOwn(CHUNKING_FIELDS, key) ? CHUNKING_FIELDS[key] : undefined;
    if (!name) throw badRequest(`chunking_strategy has no key ${JSON.stringify(key)}: it takes type, ${Object.keys(CHUNKING_FIELDS).join(', ')}`, 'chunking_strategy');
    if (type === 'auto') throw badRequest(`chunking_strategy.${key} needs type "server_vad"`, 'chunking_strategy');
    if (value === null || value === '') continue;
    vad[name] = checked(optionAt(`vadParameters.${name}`)!, `chunking_strategy.${key}`, value);
  }
  return vad as VadOptions;
}

/** A setting checked by its VAD option, its errors naming `field`. */
function checked(o: OptionSpec, field: string, value: unknown): unknown {
  try {
    return typeof value === 'string' ? valueFromText(o, value) : checkValue(o, value);
  } catch (e) {
    if (e instanceof InputError && e.detail) throw badRequest(optionMessage(field, e.detail), 'chunking_strategy');
    throw e;
  }
}
