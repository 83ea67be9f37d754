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

function checkInteger(name: string, v: unknown, min: number): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InputError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(v)}`);
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
  // Integers the engine holds as unsigned: say so here rather than fail to parse there.
  checkInteger('beamSize', out.beamSize, 1);
  checkInteger('bestOf', out.bestOf, 1);
  checkInteger('noRepeatNgramSize', out.noRepeatNgramSize, 0);
  checkInteger('maxNewTokens', out.maxNewTokens, 1);
  checkInteger('chunkLength', out.chunkLength, 1);
  checkInteger('languageDetectionSegments', out.languageDetectionSegments, 1);
  if (Array.isArray(out.temperature)) {
    for (const t of out.temperature as unknown[]) {
      if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
        throw new InputError(`temperature must be 0 or more, got ${JSON.stringify(t)}`);
      }
    }
  }
  return JSON.stringify(out);
}
