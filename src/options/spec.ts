// The one table of options: every option of a transcription (decoding, VAD, pipeline,
// diarization) with its kind, bounds, default and a one-line doc. Everything else is derived
// from it: the check of a value (check.ts), the resolved options a call runs with
// (resolve.ts), the worker's job fields (worker/job-options.ts), the CLI's flags and help
// (cli/args.ts, cli/usage.ts), the server's form fields (server/form.ts), the subtitle writer's
// rules (subtitles/), the option types with
// their docs (types.ts, written by scripts/options-docs.mjs) and docs/options.md.
//
// Adding an option: add its entry here, run `npm run build:ts && npm run options:docs`, and use it
// where it takes effect; test/options-spec.test.mjs fails until every front end has it.

/** How an option's value is given and checked. */
export type Kind =
  | 'int' // a whole number within [min, max]
  | 'number' // a number within [min, max] (above `min` when `exclusiveMin`)
  | 'bool'
  | 'text' // a string of at most `maxChars` UTF-16 units
  | 'enum' // one of `values`
  | 'language' // a Whisper language code
  | 'temperature' // a number, or a fallback list of at most MAX_TEMPERATURES numbers, each within [min, max]
  | 'tokenList' // token ids (-1: the model's default list)
  | 'clips'; // "start,end,start,end…" in seconds, or those numbers

/** Where an option belongs: how the library nests it and how each front end names it. */
export type Group =
  | 'decoding' // `beamSize`; job `beam_size`; flag `--beam-size`; form `beam_size`
  | 'pipeline' // as decoding
  | 'vad' // `vadParameters.threshold`; job `vad_parameters.threshold`; flag `--vad-threshold`; form `vad_threshold`
  | 'diarize' // `diarize.minSpeakers`; job `min_speakers`; flag `--min-speakers`; form `min_speakers`
  | 'output'; // srt and vtt: `maxLineWidth` (render's options); job `max_line_width`; flag `--max-line-width`; form `max_line_width`

/** The front ends that take options from users. */
export type FrontEnd = 'job' | 'cli' | 'form';

export interface OptionSpec {
  readonly name: string;
  readonly group: Group;
  readonly kind: Kind;
  readonly doc: string;
  /** The value when none is given (`null`: none, or the check off). */
  readonly default: unknown;
  /** `null` may be given: it turns the option off (faster-whisper's `None`). */
  readonly nullable?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** `min` itself is excluded. */
  readonly exclusiveMin?: boolean;
  readonly maxChars?: number;
  readonly maxItems?: number;
  readonly values?: readonly string[];
  /** The default in the batched pipeline, where it differs (faster-whisper's BatchedInferencePipeline). */
  readonly batchedDefault?: unknown;
  /** Front ends that do not take it, with why (every other front end does). */
  readonly notIn?: Partial<Record<FrontEnd, string>>;
}

/** Temperatures: at most this many (0 to 1 in steps of 0.05). */
export const MAX_TEMPERATURES = 21;
/** The largest batch of speech chunks (large GPUs take hundreds). */
export const MAX_BATCH_SIZE = 1024;
/** The batch size where a front end batches without being told (the server's scheduler, the worker's MODEL_BATCH_SIZE). */
export const DEFAULT_BATCH_SIZE = 8;
/** The largest batch a CPU runs at once: a larger one only costs memory there (the worker and the server clamp to it, with a note). */
export const CPU_MAX_BATCH_SIZE = 16;
/** Most speakers a recording may be given. */
export const MAX_SPEAKERS = 64;
/** initialPrompt, prefix, hotwords: a first bound in characters (the pipeline bounds their tokens). */
const MAX_TEXT_CHARS = 10_000;
const MAX_LIST = 10_000;

type Entry = Omit<OptionSpec, 'name' | 'group'>;
const int = (min: number, max: number, dflt: unknown, doc: string, more: Partial<Entry> = {}): Entry => ({ kind: 'int', min, max, default: dflt, doc, ...more });
const num = (min: number, max: number, dflt: unknown, doc: string, more: Partial<Entry> = {}): Entry => ({ kind: 'number', min, max, default: dflt, doc, ...more });
const bool = (dflt: boolean, doc: string, more: Partial<Entry> = {}): Entry => ({ kind: 'bool', default: dflt, doc, ...more });
const text = (dflt: string | null, doc: string, more: Partial<Entry> = {}): Entry => ({ kind: 'text', maxChars: MAX_TEXT_CHARS, default: dflt, doc, ...more });

/** faster-whisper's `transcribe()` options, its names in camelCase and its defaults. */
const DECODING: Record<string, Entry> = {
  language: { kind: 'language', default: null, nullable: true, doc: 'Language code of the speech (en, de, …); null: detected from the first 30 s.' },
  task: { kind: 'enum', values: ['transcribe', 'translate'], default: 'transcribe', doc: 'transcribe, or translate into English.', notIn: { form: 'the endpoint says it: /v1/audio/translations' } },
  beamSize: int(1, 10, 5, 'Beam width of the beam search (1: greedy).'),
  bestOf: int(1, 10, 5, 'Candidates sampled when the temperature is above 0.'),
  patience: num(0, 10, 1, 'Beam search patience factor.', { exclusiveMin: true }),
  lengthPenalty: num(0, 10, 1, 'Exponential length penalty of the beam search.'),
  repetitionPenalty: num(0, 10, 1, 'Penalty on tokens already generated (above 1 discourages repeats).', { exclusiveMin: true }),
  noRepeatNgramSize: int(0, 20, 0, 'Forbid repeating n-grams of this size (0: off).'),
  temperature: { kind: 'temperature', min: 0, max: 2, maxItems: MAX_TEMPERATURES, default: [0, 0.2, 0.4, 0.6, 0.8, 1], doc: 'Sampling temperature, or the fallback list tried in turn when a window fails the thresholds.' },
  temperatureIncrementOnFallback: num(0.05, 1, null, 'Build the fallback list from `temperature` (one value; 0 when absent) up to 1 in these steps (openai-whisper\'s option).', { nullable: true }),
  compressionRatioThreshold: num(0, 100, 2.4, 'A window whose text compresses more than this (gzip ratio) is decoded again hotter; null: no check.', { nullable: true }),
  logProbThreshold: num(-100, 100, -1, 'A window whose average log probability is below this is decoded again hotter; null: no check.', { nullable: true }),
  noSpeechThreshold: num(0, 1, 0.6, 'A window whose no-speech probability is above this (and fails logProbThreshold) is silence; null: no check.', { nullable: true }),
  conditionOnPreviousText: bool(true, 'Prompt each window with the text before it.', { batchedDefault: false }),
  promptResetOnTemperature: num(0, 2, 0.5, 'Stop conditioning on previous text after a fallback to this temperature or above.'),
  initialPrompt: text(null, 'Text to prompt the first window with (names, spelling, style).', { nullable: true }),
  prefix: text(null, 'Text the first window\'s transcript starts with.', { nullable: true }),
  suppressBlank: bool(true, 'Suppress blank outputs at the start of sampling.'),
  suppressTokens: { kind: 'tokenList', maxItems: MAX_LIST, default: [-1], doc: 'Token ids never generated (-1: the model\'s list of symbols).' },
  withoutTimestamps: bool(false, 'Decode text only, no timestamp tokens (one segment per window; batched, segments come from word times).', { batchedDefault: true }),
  maxInitialTimestamp: num(0, 30, 1, 'Latest time, in seconds, the first timestamp of a window may have.'),
  wordTimestamps: bool(false, 'Word-level timestamps (cross-attention alignment); the batched pipeline cuts its segments at sentences and pauses by them.', { batchedDefault: true }),
  tokenLogprobs: bool(false, 'Each segment gets `token_logprobs`: its text tokens with their log probabilities, {token, logprob, bytes} (OpenAI\'s include[]=logprobs), scored by the alignment pass, not the beam search (docs/library.md).'),
  prependPunctuations: text('"\'“¿([{-', 'Punctuation joined to the word after it (word timestamps).'),
  appendPunctuations: text('"\'.。,，!！?？:：”)]}、', 'Punctuation joined to the word before it (word timestamps).'),
  multilingual: bool(false, 'Detect the language of every window (multilingual models).'),
  maxNewTokens: int(1, 448, null, 'Most tokens generated per window; null: the model\'s limit.', { nullable: true }),
  chunkLength: int(1, 30, null, 'Window length in seconds; null: the model\'s (30).', { nullable: true }),
  clipTimestamps: { kind: 'clips', maxItems: MAX_LIST, default: [0], doc: 'Only these stretches: "start,end,start,end…" in seconds (an odd count ends at the end).' },
  hallucinationSilenceThreshold: num(0, 3600, null, 'With word timestamps: skip silences longer than this many seconds around a likely hallucination; null: off.', { nullable: true }),
  hotwords: text(null, 'Words or phrases to favour (a prompt of their own; no effect with a prefix).', { nullable: true }),
  languageDetectionThreshold: num(0, 1, 0.5, 'Probability the detected language must reach before more windows are tried.'),
  languageDetectionSegments: int(1, 100, 1, 'Most 30 s windows tried to detect the language.'),
};

/** Silero VAD parameters (faster-whisper's VadOptions). */
const VAD: Record<string, Entry> = {
  threshold: num(0, 1, 0.5, 'Speech probability at or above which a 32 ms window is speech.'),
  negThreshold: num(0, 1, null, 'Below this a window is silence; null: threshold − 0.15.', { nullable: true }),
  minSpeechDurationMs: int(0, 600_000, 0, 'Speech shorter than this (ms) is dropped.'),
  maxSpeechDurationS: num(0, 86_400, null, 'Speech longer than this (s) is split at a silence; null: no limit (the batched pipeline: chunkLength).', { exclusiveMin: true, nullable: true }),
  minSilenceDurationMs: int(0, 600_000, 2000, 'Silence (ms) that ends a stretch of speech.', { batchedDefault: 160 }),
  speechPadMs: int(0, 60_000, 400, 'Padding (ms) kept on each side of speech.'),
};

/** How the transcription runs. */
const PIPELINE: Record<string, Entry> = {
  vadFilter: bool(false, 'Transcribe only the speech Silero VAD finds (the batched pipeline: on).', { batchedDefault: true }),
  batchSize: int(1, MAX_BATCH_SIZE, null, 'Decode the VAD\'s speech chunks in batches of this many (faster-whisper\'s BatchedInferencePipeline); null: sequential.', { nullable: true }),
  splitChannels: bool(false, 'Transcribe each channel on its own (segments get `channel`).', { notIn: { job: 'one recording, mixed to mono', form: 'one recording, mixed to mono' } }),
  speechRegions: bool(false, 'Return where Silero VAD hears speech (`speech`), which srt and vtt trim their cues to; the VAD runs for it when nothing else runs it (it is returned whenever the VAD runs). srt and vtt turn it on.'),
};

/** Speaker labels (with `diarize`). */
const DIARIZE: Record<string, Entry> = {
  numSpeakers: int(1, MAX_SPEAKERS, null, 'Exactly this many speakers.', { nullable: true }),
  minSpeakers: int(1, MAX_SPEAKERS, null, 'At least this many speakers.', { nullable: true }),
  maxSpeakers: int(1, MAX_SPEAKERS, null, 'At most this many speakers.', { nullable: true }),
  clusteringThreshold: num(-1, 1, 0.4, 'Short recordings only (fewer than 10 pieces of clean speech, about half a minute or less): average cosine similarity at or above which two clusters are one speaker. Longer recordings take the speaker count from spectral clustering.'),
  verificationThreshold: num(-1, 1, 0.45, 'Cosine similarity a speaker must reach to take a speaker sample\'s name.'),
  segmentationStep: num(0.5, 10, 5, 'Seconds between two 10 s segmentation windows.'),
};

/** How srt and vtt cut and lay out cues (openai-whisper's writer options, and a cue length limit). */
const OUTPUT: Record<string, Entry> = {
  maxCueSeconds: num(1, 600, 7, 'Longest a subtitle cue lasts, in seconds (srt, vtt; a longer sentence is cut at a clause or a pause).'),
  maxLineCount: int(1, 20, 2, 'Most lines in a subtitle cue.'),
  maxLineWidth: int(1, 1000, 42, 'Most characters in a line of a subtitle cue (a longer word has a line of its own).'),
  maxWordsPerLine: int(1, 1000, null, 'Most words in a line of a subtitle cue; null: no limit.', { nullable: true }),
  highlightWords: bool(false, 'Karaoke-style subtitles: while each word is spoken, its cue with that word underlined (as openai-whisper writes them).'),
};

function entries(group: Group, table: Record<string, Entry>): OptionSpec[] {
  return Object.entries(table).map(([name, e]) => Object.freeze({ name, group, ...e }));
}

/** Every option, in the order docs and help list them. */
export const OPTIONS: readonly OptionSpec[] = Object.freeze([
  ...entries('decoding', DECODING),
  ...entries('vad', VAD),
  ...entries('pipeline', PIPELINE),
  ...entries('diarize', DIARIZE),
  ...entries('output', OUTPUT),
]);

/** The options of one group. */
export function optionsOf(group: Group): OptionSpec[] {
  return OPTIONS.filter((o) => o.group === group);
}

/** The library's path of an option: `beamSize`, `vadParameters.threshold`, `diarize.minSpeakers`. */
export function libraryPath(o: OptionSpec): string {
  if (o.group === 'vad') return `vadParameters.${o.name}`;
  if (o.group === 'diarize') return `diarize.${o.name}`;
  return o.name;
}

/** "beamSize" → "beam_size". */
export const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** "beamSize" → "beam-size". */
export const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The option's name in a front end, or undefined when that front end does not take it. */
export function frontName(o: OptionSpec, front: FrontEnd): string | undefined {
  if (o.notIn?.[front] !== undefined) return undefined;
  if (front === 'cli') return o.group === 'vad' ? `--vad-${kebab(o.name)}` : `--${kebab(o.name)}`;
  if (front === 'form') return o.group === 'vad' ? `vad_${snake(o.name)}` : snake(o.name);
  return o.group === 'vad' ? `vad_parameters.${snake(o.name)}` : snake(o.name);
}

/** An option by its library path (`beamSize`, `vadParameters.threshold`). */
export function optionAt(path: string): OptionSpec | undefined {
  return OPTIONS.find((o) => libraryPath(o) === path);
}

/** The name a front end gives the option at a library path (the path itself when it has none). */
export function nameIn(path: string, front: FrontEnd): string {
  const o = optionAt(path);
  return (o && frontName(o, front)) ?? path;
}
