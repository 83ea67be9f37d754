// What the option table (spec.ts) is written out as: the TypeScript interfaces with a doc per
// field (types.ts, so editors show each option's meaning, range and default) and the reference
// table in docs/options.md. scripts/options-docs.mjs writes both; test/options-spec.test.mjs
// fails when either is not what the table gives.
import { OPTIONS, optionsOf, frontName, libraryPath, type FrontEnd, type Group, type OptionSpec } from './spec.js';

/** The value's type in TypeScript. */
function tsType(o: OptionSpec): string {
  const base = {
    int: 'number',
    number: 'number',
    bool: 'boolean',
    text: 'string',
    enum: (o.values ?? []).map((v) => `'${v}'`).join(' | '),
    language: 'string',
    temperature: 'number | number[]',
    tokenList: 'string | number[]',
    clips: 'string | number[]',
  }[o.kind];
  return o.nullable ? `${base} | null` : base;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? v.join(', ') : String(v));

/** What values it takes: "integer, 1 to 10", "number above 0, at most 10", … */
export function valuesText(o: OptionSpec): string {
  const orNull = o.nullable ? ', or null' : '';
  switch (o.kind) {
    case 'int':
    case 'number':
      return `${o.kind === 'int' ? 'integer' : 'number'}, ${o.exclusiveMin ? `above ${o.min} and at most ${o.max}` : `${o.min} to ${o.max}`}${orNull}`;
    case 'bool':
      return 'true or false';
    case 'text':
      return `text, at most ${o.maxChars} characters${orNull}`;
    case 'enum':
      return (o.values ?? []).join(' or ');
    case 'language':
      return `a Whisper language code${orNull}`;
    case 'temperature':
      return `number ${o.min} to ${o.max}, or a list of at most ${o.maxItems}`;
    case 'tokenList':
      return `token ids (-1: the model's list), "n,n,…" or a list, at most ${o.maxItems}`;
    case 'clips':
      return 'seconds, "start,end,…" or a list, increasing';
  }
}

const defaultText = (o: OptionSpec): string => {
  const batched = o.batchedDefault !== undefined ? ` (batched: ${show(o.batchedDefault)})` : '';
  return `${o.default === null ? 'none' : show(o.default)}${batched}`;
};

const INTERFACES: Record<Group, { name: string; about: string }> = {
  decoding: { name: 'DecodingOptions', about: "faster-whisper's transcribe() options, in camelCase, all optional with its defaults." },
  vad: { name: 'VadOptions', about: "Silero VAD's parameters (faster-whisper's VadOptions), all optional." },
  pipeline: { name: 'PipelineSpecOptions', about: 'How the transcription runs: VAD, batching, channels.' },
  diarize: { name: 'DiarizeSpecOptions', about: 'Speaker counts and clustering settings of `diarize`.' },
  output: { name: 'SubtitleOptions', about: 'How srt and vtt cut and lay out cues: `render`, `toSrt` and `toVtt` take them; the CLI, the worker and the server for srt and vtt.' },
};

/** src/options/types.ts: one interface per group, one documented field per option. */
export function renderTypes(): string {
  const out = [
    '// Written by scripts/options-docs.mjs from the option table (spec.ts): do not edit by hand.',
    '// `npm run build:ts && npm run options:docs` writes it again after the table changes.',
    '',
  ];
  for (const [group, { name, about }] of Object.entries(INTERFACES) as Array<[Group, { name: string; about: string }]>) {
    out.push(`/** ${about} */`, `export interface ${name} {`);
    for (const o of optionsOf(group)) {
      out.push(`  /** ${o.doc} Values: ${valuesText(o)}. Default: ${defaultText(o)}. */`, `  ${o.name}?: ${tsType(o)};`);
    }
    out.push('}', '');
  }
  return out.join('\n');
}

const FRONTS: Array<[FrontEnd, string]> = [['job', 'worker job field'], ['cli', 'CLI flag'], ['form', 'server form field']];
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** docs/options.md: every option with its name in each front end, its values and default. */
export function renderOptionsDoc(): string {
  const out = [
    '# Options',
    '',
    '<!-- Written by scripts/options-docs.mjs from src/options/spec.ts: do not edit by hand. -->',
    '',
    'Every option is defined once, in `src/options/spec.ts`; the library, the worker, the CLI and the',
    "server take it under the names below (— where a front end does not). The library's name is",
    'camelCase (VAD parameters inside `vadParameters`, speaker settings inside `diarize`); job fields',
    "and form fields are snake_case; flags are kebab-case. `null` (the CLI's and the form's `none`)",
    'turns a nullable option off. A bad value is refused with a message naming the option as that',
    "front end calls it (the server's `param`).",
    '',
  ];
  for (const [group, { about }] of Object.entries(INTERFACES) as Array<[Group, { about: string }]>) {
    out.push(`## ${group}`, '', about, '', `| library | ${FRONTS.map(([, h]) => h).join(' | ')} | values | default | meaning |`, `| --- | ${FRONTS.map(() => '---').join(' | ')} | --- | --- | --- |`);
    for (const o of optionsOf(group)) {
      const names = FRONTS.map(([f]) => {
        const n = frontName(o, f);
        return n ? `\`${n}\`` : '—';
      });
      out.push(`| \`${libraryPath(o)}\` | ${names.join(' | ')} | ${cell(valuesText(o))} | ${cell(defaultText(o))} | ${cell(o.doc)} |`);
    }
    out.push('');
  }
  const aside = OPTIONS.filter((o) => o.notIn).map((o) => `- \`${libraryPath(o)}\`: not in ${Object.entries(o.notIn!).map(([f, why]) => `the ${f === 'job' ? 'worker' : f === 'form' ? 'server' : 'CLI'} (${why})`).join(', ')}.`);
  if (aside.length) out.push('Where a front end does not take an option:', '', ...aside, '');
  return out.join('\n');
}
