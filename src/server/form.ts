// The multipart form of OpenAI's audio endpoints, read with @fastify/multipart into memory (the
// upload is never written to disk) and checked field by field: a bad field is a 400 naming it.
// OpenAI's own fields are read here; every transcription option is also a field, named and checked
// by the option table (src/options/spec.ts; `beam_size`, `vad_threshold`, `min_speakers`, ...).
import type { FastifyRequest } from 'fastify';
import { InputError } from '../errors.js';
import type { TranscribeOptions } from '../model.js';
import { BOOL_WORDS, OPTIONS, nameIn, optionMessage, checkValue, frontName, libraryPath, optionAt, valueFromText, type OptionSpec, type SubtitleOptions } from '../options/index.js';
import { optionsForFormats } from '../subtitles/index.js';
import { badRequest, tooLarge } from './openai-errors.js';
import { partName } from './parts.js';

export const RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const;
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
  /** Speaker labels (diarization). */
  diarize: boolean;
  /** With stream: progress events and the rendered formats in the last event (what the page uses). */
  streamExtras: boolean;
}

/** OpenAI's fields and our extras that are not options; `prompt` is OpenAI's name for initialPrompt. */
const OWN_FIELDS = new Set(['model', 'language', 'prompt', 'response_format', 'timestamp_granularities', 'stream', 'diarize', 'stream_extras']);
/** Options the form reads itself: `language` (OpenAI's, checked against the endpoint). */
export const FORM_OWN_OPTIONS: readonly string[] = ['language'];

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
    } else if (OWN_FIELDS.has(name) || OPTION_FIELDS.has(name)) {
      fields.set(name, [...(fields.get(name) ?? []), String(part.value)]);
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
    if (v && v.length > 1 && name !== 'timestamp_granularities') throw badRequest(`${name} was given ${v.length} times`, name);
    return v?.[0];
  };
  if (!file) throw badRequest('the request has no `file`: send the audio file as the multipart field `file`', 'file');
  if (file.length === 0) throw badRequest('the uploaded file is empty (0 bytes)', 'file');
  const model = one('model')?.trim();
  if (!model) throw badRequest('you must provide a model parameter', 'model');
  const format = formatOf(fields, one);
  const given = optionsOf(one);
  const { subtitles } = given;
  const streamExtras = bool('stream_extras', one('stream_extras'), false);
  const diarize = bool('diarize', one('diarize'), false);
  // srt and vtt (and the page's downloads, with stream_extras) cut cues at word times and trim them to speech, unless told otherwise.
  const options = optionsForFormats(given.options, streamExtras ? ['srt', 'vtt'] : [format.responseFormat]);
  if (options.diarize && !diarize) {
    const field = frontName(optionAt(`diarize.${Object.keys(options.diarize)[0]}`)!, 'form')!;
    throw badRequest(`${field} needs diarize=true`, field);
  }
  if (options.vadFilter === false && options.batchSize != null) {
    throw badRequest('batch_size needs the VAD (the batched pipeline decodes its speech chunks): drop vad_filter=false', 'batch_size');
  }
  return {
    file,
    filename,
    model,
    language: languageOf(one('language'), translation),
    ...format,
    words: format.words || given.options.wordTimestamps === true,
    wordTimestamps: format.words || options.wordTimestamps === true,
    stream: bool('stream', one('stream'), false),
    options,
    subtitles,
    diarize,
    streamExtras,
  };
}
