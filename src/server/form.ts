// The multipart form of OpenAI's audio endpoints, read with @fastify/multipart into memory (the
// upload is never written to disk) and checked field by field: a bad field is a 400 naming it,
// and so is a field this server does not know (never ignored). OpenAI's own fields are read here
// (its newer ones in openai-fields.ts and known-speakers.ts); every transcription option is also
// a field, named and checked by the option table (src/options/spec.ts; `beam_size`,
// `vad_threshold`, `min_speakers`, ...).
import type { FastifyRequest } from 'fastify';
import { InputError } from '../errors.js';
import type { TranscribeOptions } from '../model.js';
import { BOOL_WORDS, OPTIONS, nameIn, optionMessage, checkValue, frontName, libraryPath, optionAt, valueFromText, type OptionSpec, type SubtitleOptions } from '../options/index.js';
import { optionsForFormats } from '../subtitles/index.js';
import { badRequest, tooLarge } from './openai-errors.js';
import { partName } from './parts.js';
import { DIARIZING_MODEL_IDS } from './models.js';
import { CHUNKING_FIELD, chunkingOf, includeOf } from './openai-fields.js';
import { MAX_KNOWN_SPEAKERS, knownSpeakersOf, type KnownSpeaker } from './known-speakers.js';

export const RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

/** What one transcription or translation request asks for. */
export interface AudioRequest {
  file: Buffer;
  filename: string;
  model: string;
  language?: string;
  responseFormat: ResponseFormat;
  /** timestamp_granularities[]: words and segments in verbose_json. */
  words: boolean;
  /** Whether the transcription times words: asked for (words, word_timestamps), or for srt and vtt (their cues are cut at word times). */
  wordTimestamps: boolean;
  segments: boolean;
  stream: boolean;
  /** The transcription options given as fields (speaker settings inside `diarize`), checked. */
  options: TranscribeOptions & { diarize?: Record<string, unknown> };
  /** The subtitle writer's rules given as fields (max_line_width, highlight_words, ...), for srt and vtt. */
  subtitles: SubtitleOptions;
  /**
   * Speaker labels (diarization): diarize=true, response_format=diarized_json, or OpenAI's
   * diarizing model (gpt-4o-transcribe-diarize) with a format that shows speakers.
   */
  diarize: boolean;
  /** include[]=logprobs (or token_logprobs=true): token log probabilities (the tokenLogprobs option). */
  logprobs: boolean;
  /** known_speaker_names[] with their references (the diarization's speaker samples, decoded later). */
  knownSpeakers: KnownSpeaker[];
  /** With stream: progress events and the rendered formats in the last event (what the page uses). */
  streamExtras: boolean;
}

/** OpenAI's fields and our extras that are not options; `prompt` is OpenAI's name for initialPrompt. */
const OWN_FIELDS = new Set([
  'model', 'language', 'prompt', 'response_format', 'timestamp_granularities', 'stream', 'include', 'known_speaker_names', 'known_speaker_references',
  'diarize', 'stream_extras',
]);
/** Fields that may be given several times (`name[]`). */
const LIST_FIELDS = new Set(['timestamp_granularities', 'include', 'known_speaker_names', 'known_speaker_references']);
/** Options the form reads itself: `language` (OpenAI's, checked against the endpoint). */
export const FORM_OWN_OPTIONS: readonly string[] = ['language'];
/** Formats with no place for speakers: OpenAI's diarizing model returns the transcript alone in them. */
const FORMATS_WITHOUT_SPEAKERS: readonly ResponseFormat[] = ['json', 'text'];
/** Formats with a place for token log probabilities (besides the stream's events). */
const FORMATS_WITH_LOGPROBS: readonly ResponseFormat[] = ['json', 'verbose_json', 'diarized_json'];

/** The options taken as form fields, by field name. */
export function formOptionFields(): Map<string, OptionSpec> {
  return new Map(OPTIONS.filter((o) => frontName(o, 'form') && !FORM_OWN_OPTIONS.includes(o.name)).map((o) => [frontName(o, 'form')!, o]));
}
const OPTION_FIELDS = formOptionFields();
/** OpenAI's names for our options. */
const FIELD_ALIASES: Record<string, string> = { prompt: 'initialPrompt' };

function bool(name: string, v: string | undefined, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  const b = BOOL_WORDS[v.trim().toLowerCase()];
  if (b === undefined) throw badRequest(`${name} must be true or false, got ${JSON.stringify(v)}`, name);
  return b;
}

/** The upload's bytes; past the multipart plugin's size limit, a 413 that says the limit. */
async function fileBytes(part: { toBuffer(): Promise<Buffer>; filename: string }, maxFileBytes: number): Promise<Buffer> {
  try {
    return await part.toBuffer();
  } catch (e) {
    if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw tooLarge(`${part.filename || 'the file'} is larger than this server's limit of ${maxFileBytes} bytes (--max-file-bytes)`);
    }
    throw e;
  }
}

/** The parts of the form: its file and its text fields by name (`name[]` as `name`). */
async function readParts(request: FastifyRequest, maxFileBytes: number): Promise<{ file?: Buffer; filename: string; fields: Map<string, string[]> }> {
  const fields = new Map<string, string[]>();
  let file: Buffer | undefined;
  let filename = 'audio';
  for await (const part of request.parts()) {
    const name = await partName(part);
    if (part.type === 'file') {
      if (name !== 'file') {
        await part.toBuffer();
        throw badRequest(`unexpected file field ${JSON.stringify(part.fieldname)}: send the audio as \`file\``, part.fieldname);
      }
      if (file) throw badRequest('send one `file`', 'file');
      file = await fileBytes(part, maxFileBytes);
      filename = part.filename || filename;
    } else if (OWN_FIELDS.has(name) || OPTION_FIELDS.has(name) || Object.hasOwn(FIELD_ALIASES, name) || CHUNKING_FIELD.test(name)) {
      const values = [...(fields.get(name) ?? []), String(part.value)];
      if (name === 'known_speaker_references' && values.length > MAX_KNOWN_SPEAKERS) {
        throw badRequest(`at most ${MAX_KNOWN_SPEAKERS} known speakers, got more known_speaker_references`, name);
      }
      fields.set(name, values);
    } else {
      throw badRequest(`Unknown parameter: '${name.slice(0, 100)}'. This server takes OpenAI's fields and the transcription options of docs/options.md by their form names`, name.slice(0, 100), 'unknown_parameter');
    }
  }
  return { file, filename, fields };
}

/** The option fields given, read and checked by the option table, as the library takes them (the subtitle writer's apart). */
function optionsOf(one: (name: string) => string | undefined): Pick<AudioRequest, 'options' | 'subtitles'> {
  const out: Record<string, unknown> = {};
  const subtitles: Record<string, unknown> = {};
  const set = (o: OptionSpec, field: string, text: string) => {
    let value: unknown;
    try {
      value = text.trim() === '' && o.kind !== 'text' ? undefined : valueFromText(o, text);
    } catch (e) {
      if (e instanceof InputError && e.detail) throw badRequest(optionMessage(field, e.detail, (p) => nameIn(p, 'form')), field);
      throw e;
    }
    if (value === undefined) return;
    const [head, name] = libraryPath(o).split('.');
    if (o.group === 'output') subtitles[head] = value;
    else if (name === undefined) out[head] = value;
    else ((out[head] ??= {}) as Record<string, unknown>)[name] = value;
  };
  for (const [field, o] of OPTION_FIELDS) {
    const v = one(field);
    if (v !== undefined) set(o, field, v);
  }
  for (const [field, path] of Object.entries(FIELD_ALIASES)) {
    const v = one(field);
    if (v !== undefined && v !== '') set(optionAt(path)!, field, v);
  }
  return { options: out as AudioRequest['options'], subtitles: subtitles as SubtitleOptions };
}

/** OpenAI's `language`: a code Whisper knows; translations take none. */
function languageOf(v: string | undefined, translation: boolean): string | undefined {
  const language = v?.trim().toLowerCase() || undefined;
  if (translation && language !== undefined) throw badRequest('translations take no language: the audio\'s is detected and the text is English', 'language');
  if (language === undefined) return undefined;
  try {
    return checkValue(optionAt('language')!, language) as string;
  } catch (e) {
    throw badRequest(`unknown language ${JSON.stringify(v)}: give an ISO-639-1 code Whisper knows (en, de, fr, ...)`, 'language');
  }
}

/**
 * Whether the request is diarized: diarize=true, response_format=diarized_json, or OpenAI's
 * diarizing model with a format that shows speakers (an explicit diarize=false wins over the model).
 */
function diarizes(field: string | undefined, model: string, responseFormat: ResponseFormat): boolean {
  const asked = field === undefined ? undefined : bool('diarize', field, false);
  if (responseFormat === 'diarized_json') {
    if (asked === false) throw badRequest('response_format diarized_json labels speakers: drop diarize=false', 'diarize');
    return true;
  }
  return asked ?? (DIARIZING_MODEL_IDS.has(model) && !FORMATS_WITHOUT_SPEAKERS.includes(responseFormat));
}

/** chunking_strategy onto the VAD options given as fields: it turns the VAD on and sets its parameters (each once). */
function withChunking(options: AudioRequest['options'], fields: Map<string, string[]>): void {
  const vad = chunkingOf(fields);
  if (vad === undefined) return;
  if (options.vadFilter === false) throw badRequest('chunking_strategy cuts the audio with the VAD: drop vad_filter=false', 'chunking_strategy');
  const given = options.vadParameters ?? {};
  for (const key of Object.keys(vad) as Array<keyof typeof vad>) {
    if (given[key] !== undefined) {
      throw badRequest(`chunking_strategy and ${frontName(optionAt(`vadParameters.${key}`)!, 'form')} both set the VAD's ${key}: give one`, 'chunking_strategy');
    }
  }
  options.vadFilter = true;
  options.vadParameters = { ...given, ...vad };
}

/** OpenAI's response_format and timestamp_granularities[]. */
function formatOf(fields: Map<string, string[]>, one: (name: string) => string | undefined) {
  const responseFormat = (one('response_format')?.trim() || 'json') as ResponseFormat;
  if (!RESPONSE_FORMATS.includes(responseFormat)) {
    throw badRequest(`response_format must be one of ${RESPONSE_FORMATS.join(', ')}, got ${JSON.stringify(responseFormat)}`, 'response_format');
  }
  const granularities = fields.get('timestamp_granularities') ?? [];
  for (const g of granularities) {
    if (g !== 'word' && g !== 'segment') throw badRequest(`timestamp_granularities must hold word and/or segment, got ${JSON.stringify(g)}`, 'timestamp_granularities');
  }
  if (granularities.length && responseFormat !== 'verbose_json') {
    throw badRequest('timestamp_granularities needs response_format verbose_json', 'timestamp_granularities');
  }
  return { responseFormat, words: granularities.includes('word'), segments: granularities.length === 0 || granularities.includes('segment') };
}

/** Reads the form; the upload is held in memory, at most `maxFileBytes`. */
export async function readAudioForm(request: FastifyRequest, translation: boolean, maxFileBytes: number): Promise<AudioRequest> {
  if (!request.isMultipart()) throw badRequest('the request must be multipart/form-data with a `file` field (as OpenAI\'s audio API takes it)');
  const { file, filename, fields } = await readParts(request, maxFileBytes);
  const one = (name: string): string | undefined => {
    const v = fields.get(name);
    if (v && v.length > 1 && !LIST_FIELDS.has(name)) throw badRequest(`${name} was given ${v.length} times`, name);
    return v?.[0];
  };
  if (!file) throw badRequest('the request has no `file`: send the audio file as the multipart field `file`', 'file');
  if (file.length === 0) throw badRequest('the uploaded file is empty (0 bytes)', 'file');
  const model = one('model')?.trim();
  if (!model) throw badRequest('you must provide a model parameter', 'model');
  const format = formatOf(fields, one);
  const given = optionsOf(one);
  withChunking(given.options, fields);
  const { subtitles } = given;
  const streamExtras = bool('stream_extras', one('stream_extras'), false);
  const diarize = diarizes(one('diarize'), model, format.responseFormat);
  const needsDiarization = 'needs diarization: response_format=diarized_json or diarize=true';
  // srt and vtt (and the page's downloads, with stream_extras) cut cues at word times and trim them to speech, unless told otherwise.
  const options = optionsForFormats(given.options, streamExtras ? ['srt', 'vtt'] : [format.responseFormat]);
  if (options.diarize && !diarize) {
    const field = frontName(optionAt(`diarize.${Object.keys(options.diarize)[0]}`)!, 'form')!;
    throw badRequest(`${field} ${needsDiarization}`, field);
  }
  const knownSpeakers = knownSpeakersOf(fields.get('known_speaker_names') ?? [], fields.get('known_speaker_references') ?? []);
  if (knownSpeakers.length && !diarize) throw badRequest(`known_speaker_names ${needsDiarization}`, 'known_speaker_names');
  if (options.vadFilter === false && options.batchSize != null) {
    throw badRequest('batch_size needs the VAD (the batched pipeline decodes its speech chunks): drop vad_filter=false', 'batch_size');
  }
  const stream = bool('stream', one('stream'), false);
  // OpenAI's include[]=logprobs, or our token_logprobs=true.
  const logprobs = includeOf(fields.get('include') ?? []).logprobs || options.tokenLogprobs === true;
  if (logprobs && !stream && !FORMATS_WITH_LOGPROBS.includes(format.responseFormat)) {
    throw badRequest(`include[]=logprobs needs response_format ${FORMATS_WITH_LOGPROBS.join(', ')} (or stream=true): ${format.responseFormat} has no place for them`, 'include');
  }
  return {
    file,
    filename,
    model,
    language: languageOf(one('language'), translation),
    ...format,
    // diarized_json's segments are cut where the speaker changes, between words.
    words: format.words || given.options.wordTimestamps === true || format.responseFormat === 'diarized_json',
    wordTimestamps: format.words || options.wordTimestamps === true || format.responseFormat === 'diarized_json',
    stream,
    options,
    subtitles,
    diarize,
    logprobs,
    knownSpeakers,
    streamExtras,
  };
}
