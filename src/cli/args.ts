// The command line's options: one spec per flag, parsed with node:util's parseArgs after a pass
// that gives the CLI whisper-ctranslate2's habits (booleans as --flag, --no-flag or --flag
// true|false; snake_case spellings; negative numbers after a flag). The decoding flags are the
// library's own option list (DECODING_OPTION_NAMES) in kebab-case; only how each one's value is
// read (its kind) is given here, in a table that tsc checks against the options' type, so a new
// option cannot be left out. Values are parsed per kind here and checked by the library (the
// engine's bounds), whose errors name the camelCase option: toFlagMessage names the flag instead.
import { parseArgs } from 'node:util';
import { DECODING_OPTION_NAMES, MAX_TEMPERATURE, MAX_TEMPERATURES, type DecodingOptions } from '../options.js';
import { VAD_OPTION_NAMES, type VadOptions } from '../vad.js';

export class UsageError extends Error {}

/** How a flag's value is read. */
export type Kind =
  | 'string' // any text
  | 'int' // a whole number
  | 'number' // a number
  | 'nullableNumber' // a number, or none/off (turns the check off, as faster-whisper's None)
  | 'nullableInt'
  | 'bool' // --flag, --no-flag, --flag true|false
  | 'temperature' // a number or a comma-separated fallback list
  | 'intList' // comma-separated whole numbers (may be empty)
  | 'language' // a language code, or auto
  | 'task'; // transcribe | translate

/** How each decoding option's value is read; its flag is its name in kebab-case. */
export const DECODING_KINDS: { [K in keyof DecodingOptions]-?: Kind } = {
  language: 'language',
  task: 'task',
  beamSize: 'int',
  bestOf: 'int',
  patience: 'number',
  lengthPenalty: 'number',
  repetitionPenalty: 'number',
  noRepeatNgramSize: 'int',
  temperature: 'temperature',
  compressionRatioThreshold: 'nullableNumber',
  logProbThreshold: 'nullableNumber',
  noSpeechThreshold: 'nullableNumber',
  conditionOnPreviousText: 'bool',
  promptResetOnTemperature: 'number',
  initialPrompt: 'string',
  prefix: 'string',
  suppressBlank: 'bool',
  suppressTokens: 'intList',
  withoutTimestamps: 'bool',
  maxInitialTimestamp: 'number',
  wordTimestamps: 'bool',
  prependPunctuations: 'string',
  appendPunctuations: 'string',
  multilingual: 'bool',
  maxNewTokens: 'nullableInt',
  chunkLength: 'nullableInt',
  clipTimestamps: 'string',
  hallucinationSilenceThreshold: 'nullableNumber',
  hotwords: 'string',
  languageDetectionThreshold: 'nullableNumber',
  languageDetectionSegments: 'int',
};

/** The VAD parameters' bounds (the worker's job schema has the same). */
export const VAD_BOUNDS: { [K in keyof VadOptions]-?: { min: number; max: number; integer: boolean; above?: boolean } } = {
  threshold: { min: 0, max: 1, integer: false },
  negThreshold: { min: 0, max: 1, integer: false },
  minSpeechDurationMs: { min: 0, max: 600_000, integer: true },
  maxSpeechDurationS: { min: 0, max: 86_400, integer: false, above: true },
  minSilenceDurationMs: { min: 0, max: 600_000, integer: true },
  speechPadMs: { min: 0, max: 60_000, integer: true },
};

/** "beamSize" → "beam-size". */
export function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** "beamSize" → "--beam-size"; "vadParameters.threshold" style names are not flags. */
export const flagOf = (option: string): string => `--${kebab(option)}`;

/** The VAD parameter's flag: threshold → --vad-threshold. */
export const vadFlagOf = (name: string): string => `--vad-${kebab(name)}`;

export interface FlagSpec {
  kind: Kind;
  /** The decoding option it sets, if it is one. */
  option?: keyof DecodingOptions;
  /** The VAD parameter it sets, if it is one. */
  vad?: keyof VadOptions;
  /** Given any number of times (all the values are in `lists`; `values` holds the last). */
  repeatable?: boolean;
}

/** The spec of a flag read as `kind` (a plain string unless said), with no option behind it. */
export const spec = (kind: Kind = 'string'): FlagSpec => ({ kind });

/** Spellings of other CLIs (whisper-ctranslate2, openai-whisper) for our flags. */
const ALIASES: Record<string, string> = {
  '--logprob-threshold': '--log-prob-threshold',
  '--output-format': '--format',
  '--cpu-threads': '--threads',
  '--model-directory': '--model',
};

/** Decoding flags, from the library's list. */
export function decodingFlags(): Map<string, FlagSpec> {
  const m = new Map<string, FlagSpec>();
  for (const option of DECODING_OPTION_NAMES) {
    // An option the engine has and this table lacks is read as text; the engine checks it.
    m.set(flagOf(option), { kind: DECODING_KINDS[option] ?? 'string', option });
  }
  return m;
}

/** VAD flags, from the library's list of VAD parameters. */
export function vadFlags(): Map<string, FlagSpec> {
  return new Map(VAD_OPTION_NAMES.map((vad) => [vadFlagOf(vad), { kind: VAD_BOUNDS[vad].integer ? 'int' : 'number', vad } as FlagSpec]));
}

const BOOL_WORDS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false, '1': true, '0': false };
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * argv rewritten so that parseArgs (every flag a string option) reads it: snake_case and aliases
 * to the flag's name, booleans to --flag=true|false, a value that looks like a negative number
 * joined to its flag. Anything unknown is left as it is, for parseArgs to report.
 */
export function normalizeArgv(argv: string[], specs: Map<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith('--')) {
      out.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let name = '--' + (eq < 0 ? a.slice(2) : a.slice(2, eq)).replace(/_/g, '-');
    const value = eq < 0 ? undefined : a.slice(eq + 1);
    name = ALIASES[name] ?? name;
    let negated = false;
    if (!specs.has(name) && name.startsWith('--no-') && specs.get(`--${name.slice(5)}`)?.kind === 'bool') {
      name = `--${name.slice(5)}`;
      negated = true;
    }
    const spec = specs.get(name);
    if (!spec) {
      out.push(a);
      continue;
    }
    if (spec.kind === 'bool') {
      if (negated) {
        if (value !== undefined) throw new UsageError(`--no-${name.slice(2)} takes no value, got ${JSON.stringify(value)}`);
        out.push(`${name}=false`);
      } else if (value !== undefined) {
        out.push(`${name}=${value}`);
      } else if (i + 1 < argv.length && Object.hasOwn(BOOL_WORDS, argv[i + 1].toLowerCase())) {
        out.push(`${name}=${argv[++i]}`);
      } else {
        out.push(`${name}=true`);
      }
      continue;
    }
    if (value !== undefined) out.push(`${name}=${value}`);
    else if (i + 1 < argv.length && (!argv[i + 1].startsWith('-') || NEGATIVE_NUMBER.test(argv[i + 1]))) out.push(`${name}=${argv[++i]}`);
    else out.push(name);
  }
  return out;
}

/** Parses argv against the specs: every flag's raw text (repeatable flags: every one in `lists`), and the positionals. */
export function parseFlags(
  argv: string[],
  specs: Map<string, FlagSpec>,
): { values: Map<string, string>; lists: Map<string, string[]>; positionals: string[] } {
  const options = Object.fromEntries([...specs].map(([f, spec]) => [f.slice(2), { type: 'string' as const, multiple: spec.repeatable === true }]));
  const { values, positionals } = parseArgs({ args: normalizeArgv(argv, specs), allowPositionals: true, options });
  const m = new Map<string, string>();
  const lists = new Map<string, string[]>();
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string') m.set(`--${k}`, v);
    else if (Array.isArray(v) && v.length) {
      lists.set(`--${k}`, v as string[]);
      m.set(`--${k}`, String(v[v.length - 1]));
    }
  }
  return { values: m, lists, positionals };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A number in plain decimal (or exponent) form; hex, empty and words are refused. */
export function numberArg(flag: string, v: string, integer = false): number {
  const s = v.trim();
  const n = NUMBER.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** An integer option within [min, max]; `why` explains the bounds in the message. */
export function intArg(flag: string, v: string | undefined, min: number, max: number, why = ''): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}${why}, got ${JSON.stringify(v)}`);
  }
  return n;
}

export function boolArg(flag: string, v: string): boolean {
  const b = BOOL_WORDS[v.trim().toLowerCase()];
  if (b === undefined) throw new UsageError(`${flag} must be true or false (or --${flag.slice(2)} / --no-${flag.slice(2)}), got ${JSON.stringify(v)}`);
  return b;
}

/** `--temperature 0.2` or a fallback list `0,0.2,0.4`: every item a number from 0 to 2. */
export function temperatureArg(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  const expected = `a number from 0 to ${MAX_TEMPERATURE} or a comma-separated list of at most ${MAX_TEMPERATURES} of them`;
  if (parts.length > MAX_TEMPERATURES) throw new UsageError(`--temperature must be ${expected}, got ${parts.length} values`);
  const list: number[] = [];
  for (const [i, p] of parts.entries()) {
    const where = parts.length > 1 ? ` (item ${i + 1} of ${JSON.stringify(v)})` : '';
    if (p === '') throw new UsageError(`--temperature must be ${expected}; ${v.trim() === '' ? 'it is empty' : `item ${i + 1} of ${JSON.stringify(v)} is empty`}`);
    const t = NUMBER.test(p) ? Number(p) : NaN;
    if (!Number.isFinite(t)) throw new UsageError(`--temperature must be ${expected}; ${JSON.stringify(p)}${where} is not a number`);
    if (t < 0) throw new UsageError(`--temperature must be 0 or more, got ${JSON.stringify(p)}${where}`);
    if (t > MAX_TEMPERATURE) throw new UsageError(`--temperature must be at most ${MAX_TEMPERATURE}, got ${JSON.stringify(p)}${where}`);
    list.push(t);
  }
  return list;
}

const OFF = new Set(['none', 'null', 'off']);

/** A flag's value by its kind (language and task are the caller's: they need the model or a message of their own). */
export function valueOf(flag: string, kind: Kind, v: string): unknown {
  switch (kind) {
    case 'string':
    case 'language':
    case 'task':
      return v;
    case 'int':
      return numberArg(flag, v, true);
    case 'number':
      return numberArg(flag, v);
    case 'nullableNumber':
    case 'nullableInt':
      if (OFF.has(v.trim().toLowerCase())) return null;
      try {
        return numberArg(flag, v, kind === 'nullableInt');
      } catch {
        throw new UsageError(`${flag} must be ${kind === 'nullableInt' ? 'an integer' : 'a number'} or none (off), got ${JSON.stringify(v)}`);
      }
    case 'bool':
      return boolArg(flag, v);
    case 'temperature':
      return temperatureArg(v);
    case 'intList':
      return v.trim() === '' ? [] : v.split(',').map((p, i) => {
        try {
          return numberArg(flag, p, true);
        } catch {
          throw new UsageError(`${flag} must be a comma-separated list of integers; item ${i + 1} of ${JSON.stringify(v)} is ${JSON.stringify(p.trim())}`);
        }
      });
  }
}

/** A VAD parameter's value, within its bounds. */
export function vadValue(flag: string, vad: keyof VadOptions, v: string): number {
  const b = VAD_BOUNDS[vad];
  const n = numberArg(flag, v, b.integer);
  if (n < b.min || n > b.max || (b.above && n <= b.min)) {
    throw new UsageError(`${flag} must be ${b.integer ? 'an integer' : 'a number'} ${b.above ? `above ${b.min}` : `of at least ${b.min}`} and at most ${b.max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

const OPTION_NAMES = [...DECODING_OPTION_NAMES, 'batchSize', 'vadParameters', 'splitChannels', 'vadFilter', 'minSpeakers', 'maxSpeakers', 'diarize'].sort((a, b) => b.length - a.length);
/** camelCase names anywhere; one-word names (language, temperature, …) only as the message's subject. */
const CAMEL_FLAGS: Array<[RegExp, string]> = OPTION_NAMES.filter((o) => /[A-Z]/.test(o)).map((o) => [new RegExp(`\\b${o}\\b`, 'g'), flagOf(o)]);
const WORD_FLAGS: Array<[RegExp, string]> = OPTION_NAMES.filter((o) => !/[A-Z]/.test(o)).map((o) => [new RegExp(`^${o}(?=[ :])`), flagOf(o)]);

/** A library message with its option names as the CLI's flags ("beamSize must …" → "--beam-size must …"). */
export function toFlagMessage(message: string): string {
  let m = message;
  for (const [re, flag] of CAMEL_FLAGS) m = m.replace(re, flag);
  for (const [re, flag] of WORD_FLAGS) m = m.replace(re, flag);
  return m;
}
