// Checking one option's value against its spec, and reading it from text (the CLI's flags and
// the server's form fields are text). Errors are InputErrors that carry the option's library
// path (`option`) and the message without it (`detail`), so that each front end names the
// option its own way: the CLI's flag, the server's form field (OpenAI's `param`), the job field.
import { InputError } from '../errors.js';
import { libraryPath, type OptionSpec } from './spec.js';

/** Whisper's language codes (filled by the caller that knows them: the engine's list). */
let languageCodes: ReadonlySet<string> | undefined;
export function setLanguageCodes(codes: Iterable<string>): void {
  languageCodes = new Set(codes);
}

/**
 * An option's message as a front end names it: "beam_size must be …", "--clip-timestamps: "x" is …".
 * Other options a detail mentions are written `{libraryPath}`; `nameOf` gives the front end's name for them.
 */
export function optionMessage(name: string, detail: string, nameOf: (path: string) => string = (p) => p): string {
  const text = detail.replace(/\{([\w.]+)\}/g, (_, path: string) => nameOf(path));
  return text.startsWith(':') ? `${name}${text}` : `${name} ${text}`;
}

/** An InputError about one option: "beamSize must be …". */
export function optionError(o: OptionSpec | string, detail: string): InputError {
  const option = typeof o === 'string' ? o : libraryPath(o);
  return new InputError(optionMessage(option, detail), { option, detail });
}

/** A number as JSON writes it (what messages quote). */
const show = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v) ?? String(v));

/** The range of a numeric option, as messages say it. */
export function rangeText(o: OptionSpec): string {
  const kind = o.kind === 'int' ? 'an integer' : 'a number';
  const low = o.exclusiveMin ? `above ${o.min}` : `of at least ${o.min}`;
  return `${kind} ${low} and at most ${o.max}`;
}

function checkNumber(o: OptionSpec, v: unknown, what = rangeText(o)): number {
  const bad = typeof v !== 'number' || !Number.isFinite(v) || (o.kind === 'int' && !Number.isInteger(v)) ||
    v < o.min! || v > o.max! || (o.exclusiveMin && v === o.min);
  if (bad) throw optionError(o, `must be ${what}, got ${show(v)}`);
  return v as number;
}

function checkTemperature(o: OptionSpec, v: unknown): number[] {
  const list = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && v.length === 0) throw optionError(o, 'must hold at least one value');
  if (list.length > o.maxItems!) throw optionError(o, `may list at most ${o.maxItems} values, got ${list.length}`);
  for (const t of list) {
    if (typeof t !== 'number' || !Number.isFinite(t)) throw optionError(o, `must be a number or a list of numbers, got ${show(t)}`);
    if (t < o.min!) throw optionError(o, `must be ${o.min} or more, got ${show(t)}`);
    if (t > o.max!) throw optionError(o, `must be at most ${o.max}, got ${show(t)}`);
  }
  return list as number[];
}

/** clipTimestamps as numbers of seconds: "start,end,…" is parsed, a list is checked. */
function checkClips(o: OptionSpec, v: unknown): number[] {
  let list: unknown[];
  if (typeof v === 'string') {
    list = v.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
      const n = NUMBER.test(s) ? Number(s) : NaN;
      if (!Number.isFinite(n)) throw optionError(o, `: ${JSON.stringify(s)} is not a number of seconds`);
      return n;
    });
  } else if (Array.isArray(v)) {
    list = v;
  } else {
    throw optionError(o, `must be a string or a list of numbers, got ${typeof v}`);
  }
  if (list.length > o.maxItems!) throw optionError(o, `may list at most ${o.maxItems} values, got ${list.length}`);
  if (list.some((t) => typeof t !== 'number' || !Number.isFinite(t) || t < 0)) throw optionError(o, 'must be non-negative numbers of seconds');
  const nums = list as number[];
  if (nums.some((t, i) => i > 0 && t < nums[i - 1])) throw optionError(o, 'must be in increasing order');
  return nums;
}

/** Token ids: a list, or "-1,50256" (comma-separated, as openai-whisper and the RunPod worker take them) parsed. */
function checkTokens(o: OptionSpec, v: unknown): number[] {
  let list: unknown[];
  if (typeof v === 'string') {
    list = v.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => (NUMBER.test(s) ? Number(s) : s));
  } else if (Array.isArray(v)) {
    list = v;
  } else {
    throw optionError(o, `must be a list of token ids or a comma-separated string of them, got ${typeof v}`);
  }
  if (list.length > o.maxItems!) throw optionError(o, `may list at most ${o.maxItems} values, got ${list.length}`);
  for (const t of list) if (!Number.isInteger(t) || (t as number) < -1) throw optionError(o, `must list token ids (or -1), got ${show(t)}`);
  return list as number[];
}

function checkText(o: OptionSpec, v: unknown): string {
  if (typeof v !== 'string') throw optionError(o, `must be a string, got ${typeof v}`);
  if (v.length > o.maxChars!) throw optionError(o, `is ${v.length} characters; at most ${o.maxChars}`);
  return v;
}

/**
 * The value checked against its spec, in the form the engine reads it (temperature as a list,
 * clipTimestamps as numbers). `null` for a nullable option is kept (it turns the option off).
 */
export function checkValue(o: OptionSpec, v: unknown): unknown {
  if (v === null) {
    if (o.nullable) return null;
    throw optionError(o, 'must not be null');
  }
  switch (o.kind) {
    case 'int':
    case 'number':
      return checkNumber(o, v);
    case 'bool':
      if (typeof v !== 'boolean') throw optionError(o, `must be true or false, got ${show(v)}`);
      return v;
    case 'text':
      return checkText(o, v);
    case 'enum':
      if (typeof v !== 'string' || !o.values!.includes(v)) throw optionError(o, `must be ${o.values!.map((x) => JSON.stringify(x)).join(' or ')}, got ${show(v)}`);
      return v;
    case 'language': {
      if (typeof v !== 'string') throw optionError(o, `must be a language code (en, de, …), got ${typeof v}`);
      const code = v.trim().toLowerCase();
      if (languageCodes && !languageCodes.has(code)) throw optionError(o, `: unknown language code ${JSON.stringify(v)}; give one of Whisper's codes (en, de, fr, …)`);
      return code;
    }
    case 'temperature':
      return checkTemperature(o, v);
    case 'tokenList':
      return checkTokens(o, v);
    case 'clips':
      return checkClips(o, v);
  }
}

/** A number in plain decimal (or exponent) form; hex, empty and words are refused. */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** The words a boolean may be written as. */
export const BOOL_WORDS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false, '1': true, '0': false };
const OFF = new Set(['none', 'null', 'off']);

/** A number from text, or NaN. */
const numberOf = (s: string): number => (NUMBER.test(s.trim()) ? Number(s.trim()) : NaN);

/**
 * An option's value from text (a flag's or a form field's), then checked: numbers in decimal,
 * booleans as true/false (yes/no, on/off, 1/0), `none`/`null`/`off` for null, lists
 * comma-separated, `auto` for no language.
 */
export function valueFromText(o: OptionSpec, text: string): unknown {
  const s = text.trim();
  if (o.nullable && OFF.has(s.toLowerCase()) && o.kind !== 'text') return null;
  switch (o.kind) {
    case 'int':
    case 'number': {
      const n = numberOf(s);
      const what = `${rangeText(o)}${o.nullable ? ' (or none)' : ''}`;
      if (Number.isNaN(n)) throw optionError(o, `must be ${what}, got ${JSON.stringify(text)}`);
      return checkNumber(o, n, what);
    }
    case 'bool': {
      const b = BOOL_WORDS[s.toLowerCase()];
      if (b === undefined) throw optionError(o, `must be true or false, got ${JSON.stringify(text)}`);
      return b;
    }
    case 'language':
      return s.toLowerCase() === 'auto' ? null : checkValue(o, s);
    case 'temperature':
    case 'tokenList': {
      const parts = s.split(',').map((p) => p.trim());
      if (o.kind === 'tokenList' && s === '') return [];
      const nums = parts.map((p, i) => {
        const n = numberOf(p);
        if (Number.isNaN(n)) {
          const where = parts.length > 1 ? `item ${i + 1} of ${JSON.stringify(text)} is ${JSON.stringify(p)}` : `got ${JSON.stringify(text)}`;
          throw optionError(o, `must be ${o.kind === 'temperature' ? 'a number or a comma-separated list of numbers' : 'a comma-separated list of integers'}; ${where}`);
        }
        return n;
      });
      return checkValue(o, o.kind === 'temperature' && nums.length === 1 ? nums[0] : nums);
    }
    default:
      return checkValue(o, text);
  }
}
