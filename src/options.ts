// Transcription options: faster-whisper's, in camelCase, and how they reach the engine.
import { InputError } from './errors.js';

/** Options of `transcribe`, faster-whisper's names in camelCase; all optional, with its defaults. */
export interface DecodingOptions {
  language?: string | null;
  task?: 'transcribe' | 'translate';
  beamSize?: number;
  bestOf?: number;
  patience?: number;
  lengthPenalty?: number;
  repetitionPenalty?: number;
  noRepeatNgramSize?: number;
  /** One temperature or the fallback list (default 0, 0.2, … 1.0). */
  temperature?: number | number[];
  compressionRatioThreshold?: number | null;
  logProbThreshold?: number | null;
  noSpeechThreshold?: number | null;
  conditionOnPreviousText?: boolean;
  promptResetOnTemperature?: number;
  initialPrompt?: string | null;
  prefix?: string | null;
  suppressBlank?: boolean;
  suppressTokens?: number[];
  withoutTimestamps?: boolean;
  maxInitialTimestamp?: number;
  wordTimestamps?: boolean;
  prependPunctuations?: string;
  appendPunctuations?: string;
  multilingual?: boolean;
  maxNewTokens?: number | null;
  chunkLength?: number | null;
  /** "start,end,start,end…" in seconds, or the numbers. */
  clipTimestamps?: string | number[];
  hallucinationSilenceThreshold?: number | null;
  hotwords?: string | null;
  languageDetectionThreshold?: number | null;
  languageDetectionSegments?: number;
}

export const DECODING_OPTION_NAMES: ReadonlyArray<keyof DecodingOptions> = [
  'language', 'task', 'beamSize', 'bestOf', 'patience', 'lengthPenalty', 'repetitionPenalty',
  'noRepeatNgramSize', 'temperature', 'compressionRatioThreshold', 'logProbThreshold',
  'noSpeechThreshold', 'conditionOnPreviousText', 'promptResetOnTemperature', 'initialPrompt',
  'prefix', 'suppressBlank', 'suppressTokens', 'withoutTimestamps', 'maxInitialTimestamp',
  'wordTimestamps', 'prependPunctuations', 'appendPunctuations', 'multilingual', 'maxNewTokens',
  'chunkLength', 'clipTimestamps', 'hallucinationSilenceThreshold', 'hotwords',
  'languageDetectionThreshold', 'languageDetectionSegments',
];

/** clipTimestamps as numbers of seconds (a copy: the caller's array is left as it is). */
export function parseClipTimestamps(v: string | number[]): number[] {
  if (Array.isArray(v)) return [...v];
  const parts = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return parts.map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new InputError(`clipTimestamps: ${JSON.stringify(s)} is not a number of seconds`);
    return n;
  });
}

/**
 * The range of each numeric option: faster-whisper's meaningful values, bounded so that no value
 * can make the engine allocate or loop without end (a beam of 1e9, a fallback list of millions).
 * The engine checks the finer rules (patience > 0, chunkLength up to 30, clip order).
 */
const NUMBER_BOUNDS: { [K in keyof DecodingOptions]?: { min: number; max: number; integer?: boolean } } = {
  beamSize: { min: 1, max: 10, integer: true },
  bestOf: { min: 1, max: 10, integer: true },
  patience: { min: 0, max: 10 },
  lengthPenalty: { min: 0, max: 10 },
  repetitionPenalty: { min: 0, max: 10 },
  noRepeatNgramSize: { min: 0, max: 20, integer: true },
  compressionRatioThreshold: { min: 0, max: 100 },
  logProbThreshold: { min: -100, max: 100 },
  noSpeechThreshold: { min: 0, max: 1 },
  promptResetOnTemperature: { min: 0, max: 2 },
  maxInitialTimestamp: { min: 0, max: 30 },
  maxNewTokens: { min: 1, max: 448, integer: true },
  chunkLength: { min: 1, max: 3600, integer: true },
  hallucinationSilenceThreshold: { min: 0, max: 3600 },
  languageDetectionThreshold: { min: 0, max: 1 },
  languageDetectionSegments: { min: 1, max: 100, integer: true },
};
/** Temperatures: at most this many (0 to 1 in steps of 0.05), each at most MAX_TEMPERATURE. */
export const MAX_TEMPERATURES = 21;
export const MAX_TEMPERATURE = 2;
/** initialPrompt, prefix, hotwords: a cheap first bound; the engine bounds their tokens. */
const MAX_TEXT_CHARS = 10_000;
const MAX_LIST = 10_000;

function checkNumber(name: string, v: unknown, b: { min: number; max: number; integer?: boolean }): void {
  if (v === undefined || v === null) return;
  const kind = b.integer ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v) || (b.integer && !Number.isInteger(v)) || v < b.min || v > b.max) {
    throw new InputError(`${name} must be ${kind} of at least ${b.min} and at most ${b.max}, got ${JSON.stringify(v)}`);
  }
}

/** The JSON the engine takes: decoding options only, normalized; undefined ones left to its defaults. */
export function engineOptionsJson(opts: DecodingOptions): string {
  const out: Record<string, unknown> = {};
  for (const key of DECODING_OPTION_NAMES) {
    const v = opts[key];
    if (v !== undefined) out[key] = v;
  }
  if (typeof out.temperature === 'number') out.temperature = [out.temperature];
  if (out.clipTimestamps !== undefined) out.clipTimestamps = parseClipTimestamps(out.clipTimestamps as string | number[]);
  for (const [name, bounds] of Object.entries(NUMBER_BOUNDS)) checkNumber(name, out[name], bounds!);
  if (Array.isArray(out.temperature)) {
    const list = out.temperature as unknown[];
    if (list.length > MAX_TEMPERATURES) throw new InputError(`temperature may list at most ${MAX_TEMPERATURES} values, got ${list.length}`);
    for (const t of list) {
      if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new InputError(`temperature must be 0 or more, got ${JSON.stringify(t)}`);
      if (t > MAX_TEMPERATURE) throw new InputError(`temperature must be at most ${MAX_TEMPERATURE}, got ${t}`);
    }
  }
  for (const name of ['initialPrompt', 'prefix', 'hotwords'] as const) {
    const v = out[name];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new InputError(`${name} must be a string, got ${typeof v}`);
    if (typeof v === 'string' && v.length > MAX_TEXT_CHARS) throw new InputError(`${name} is ${v.length} characters; at most ${MAX_TEXT_CHARS}`);
  }
  for (const name of ['suppressTokens', 'clipTimestamps'] as const) {
    const v = out[name];
    if (Array.isArray(v) && v.length > MAX_LIST) throw new InputError(`${name} may list at most ${MAX_LIST} values, got ${v.length}`);
  }
  return JSON.stringify(out);
}
