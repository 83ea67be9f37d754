// The command line's options: one spec per flag, parsed with node:util's parseArgs after a pass
// that gives the CLI whisper-ctranslate2's habits (booleans as --flag, --no-flag or --flag
// true|false; snake_case spellings; negative numbers after a flag). The option flags come from the
// option table (src/options/spec.ts): each option's flag, how its text is read and its bounds are
// the table's; an option's error names its flag (InputError.option), never by rewriting messages.
import { parseArgs } from 'node:util';
import { InputError } from '../errors.js';
import { BOOL_WORDS, NUMBER, OPTIONS, optionMessage, frontName, libraryPath, nameIn, valueFromText, type Group, type OptionSpec } from '../options/index.js';

export class UsageError extends Error {}

/** How a flag's value is read: a boolean (--flag, --no-flag, --flag true|false) or text. */
export type Kind = 'string' | 'bool';

export interface FlagSpec {
  kind: Kind;
  /** The option it sets, if it is one (its text is read and checked by the option table). */
  option?: OptionSpec;
  /** Given any number of times (all the values are in `lists`; `values` holds the last). */
  repeatable?: boolean;
}

/** The spec of a flag read as `kind` (a plain string unless said), with no option behind it. */
export const spec = (kind: Kind = 'string'): FlagSpec => ({ kind });

/** The flags of the options of these groups, from the option table. */
export function optionFlags(...groups: Group[]): Map<string, FlagSpec> {
  const m = new Map<string, FlagSpec>();
  for (const option of OPTIONS) {
    const flag = frontName(option, 'cli');
    if (flag && groups.includes(option.group)) m.set(flag, { kind: option.kind === 'bool' ? 'bool' : 'string', option });
  }
  return m;
}

/** A library InputError about an option, as a usage error naming its flag ("--beam-size must …"). */
export function flagError(e: InputError): UsageError {
  return new UsageError(e.option && e.detail ? optionMessage(nameIn(e.option, 'cli'), e.detail, (p) => nameIn(p, 'cli')) : e.message);
}

/** Runs `f`, turning an option's InputError into a usage error that names the flag. */
export function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) throw flagError(e);
    throw e;
  }
}

/**
 * The options given as flags, read and checked by the option table, as the library takes them:
 * decoding and pipeline options by name, VAD parameters in `vadParameters`, speaker settings in
 * `diarize` (an object only when one is given).
 */
export function optionValues(values: Map<string, string>, specs: Map<string, FlagSpec>): Record<string, unknown> & { vadParameters?: Record<string, unknown>; diarize?: Record<string, unknown> } {
  const out: Record<string, unknown> & { vadParameters?: Record<string, unknown>; diarize?: Record<string, unknown> } = {};
  for (const [flag, s] of specs) {
    const text = values.get(flag);
    if (text === undefined || !s.option) continue;
    const value = checked(() => valueFromText(s.option!, text));
    const [head, name] = libraryPath(s.option).split('.');
    if (name === undefined) out[head] = value;
    else ((out as Record<string, Record<string, unknown>>)[head] ??= {})[name] = value;
  }
  return out;
}

/** Spellings of other CLIs (whisper-ctranslate2, openai-whisper) for our flags. */
const ALIASES: Record<string, string> = {
  '--logprob-threshold': '--log-prob-threshold',
  '--output-format': '--format',
  '--cpu-threads': '--threads',
  '--model-directory': '--model',
};

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
