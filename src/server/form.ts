// The multipart form of OpenAI's audio endpoints, read with @fastify/multipart into memory (the
// upload is never written to disk) and checked field by field: a bad field is a 400 naming it.
import type { FastifyRequest } from 'fastify';
import { native } from '../native.js';
import { MAX_BATCH_SIZE } from '../model.js';
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
  prompt?: string;
  temperature?: number;
  responseFormat: ResponseFormat;
  /** timestamp_granularities[]: words and segments in verbose_json. */
  words: boolean;
  segments: boolean;
  stream: boolean;
  // Our extras, under their own names.
  vadFilter: boolean;
  batchSize?: number;
  hotwords?: string;
  /** Speaker labels (diarization), with the count bounds when given. */
  diarize: boolean;
  minSpeakers?: number;
  maxSpeakers?: number;
  /** With stream: progress events and the rendered formats in the last event (what the page uses). */
  streamExtras: boolean;
}

/** Form fields we read; others (OpenAI's `include[]`, `chunking_strategy`, ...) are ignored. */
const FIELDS = new Set([
  'model', 'language', 'prompt', 'temperature', 'response_format', 'timestamp_granularities', 'stream',
  'vad_filter', 'batch_size', 'hotwords', 'word_timestamps', 'diarize', 'min_speakers', 'max_speakers', 'stream_extras',
]);

const BOOLEAN: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

function bool(name: string, v: string | undefined, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  const b = BOOLEAN[v.trim().toLowerCase()];
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

/** Reads the form; the upload is held in memory, at most `maxFileBytes`. */
export async function readAudioForm(request: FastifyRequest, translation: boolean, maxFileBytes: number): Promise<AudioRequest> {
  if (!request.isMultipart()) throw badRequest('the request must be multipart/form-data with a `file` field (as OpenAI\'s audio API takes it)');
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
    } else if (FIELDS.has(name)) {
      const list = fields.get(name) ?? [];
      list.push(String(part.value));
      fields.set(name, list);
    }
  }
  const one = (name: string): string | undefined => {
    const v = fields.get(name);
    if (v && v.length > 1 && name !== 'timestamp_granularities') throw badRequest(`${name} was given ${v.length} times`, name);
    return v?.[0];
  };
  if (!file) throw badRequest('the request has no `file`: send the audio file as the multipart field `file`', 'file');
  if (file.length === 0) throw badRequest('the uploaded file is empty (0 bytes)', 'file');
  const model = one('model')?.trim();
  if (!model) throw badRequest('you must provide a model parameter', 'model');

  let language = one('language')?.trim().toLowerCase() || undefined;
  if (translation && language !== undefined) throw badRequest('translations take no language: the audio\'s is detected and the text is English', 'language');
  if (language !== undefined && !native().languageCodes().includes(language)) {
    throw badRequest(`unknown language ${JSON.stringify(language)}: give an ISO-639-1 code Whisper knows (en, de, fr, ...)`, 'language');
  }
  const responseFormat = (one('response_format')?.trim() || 'json') as ResponseFormat;
  if (!RESPONSE_FORMATS.includes(responseFormat)) {
    throw badRequest(`response_format must be one of ${RESPONSE_FORMATS.join(', ')}, got ${JSON.stringify(responseFormat)}`, 'response_format');
  }
  let temperature: number | undefined;
  const t = one('temperature');
  if (t !== undefined && t.trim() !== '') {
    temperature = Number(t);
    if (!Number.isFinite(temperature) || temperature < 0 || temperature > 1) throw badRequest(`temperature must be a number from 0 to 1, got ${JSON.stringify(t)}`, 'temperature');
  }
  const granularities = fields.get('timestamp_granularities') ?? [];
  for (const g of granularities) {
    if (g !== 'word' && g !== 'segment') throw badRequest(`timestamp_granularities must hold word and/or segment, got ${JSON.stringify(g)}`, 'timestamp_granularities');
  }
  if (granularities.length && responseFormat !== 'verbose_json') {
    throw badRequest('timestamp_granularities needs response_format verbose_json', 'timestamp_granularities');
  }
  const stream = bool('stream', one('stream'), false);
  let batchSize: number | undefined;
  const b = one('batch_size');
  if (b !== undefined) {
    batchSize = Number(b);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) throw badRequest(`batch_size must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${JSON.stringify(b)}`, 'batch_size');
  }
  const diarize = bool('diarize', one('diarize'), false);
  const speakers = (name: string): number | undefined => {
    const v = one(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw badRequest(`${name} must be an integer from 1 to 64, got ${JSON.stringify(v)}`, name);
    if (!diarize) throw badRequest(`${name} needs diarize=true`, name);
    return n;
  };
  const minSpeakers = speakers('min_speakers');
  const maxSpeakers = speakers('max_speakers');
  if (minSpeakers !== undefined && maxSpeakers !== undefined && minSpeakers > maxSpeakers) {
    throw badRequest(`min_speakers (${minSpeakers}) must not be above max_speakers (${maxSpeakers})`, 'min_speakers');
  }
  const vadFilter = bool('vad_filter', one('vad_filter'), true);
  if (!vadFilter && batchSize !== undefined) throw badRequest('batch_size needs the VAD (the batched pipeline decodes its speech chunks): drop vad_filter=false', 'batch_size');
  const prompt = one('prompt') || undefined;
  const hotwords = one('hotwords') || undefined;
  return {
    file,
    filename,
    model,
    language,
    prompt,
    temperature,
    responseFormat,
    words: granularities.includes('word') || bool('word_timestamps', one('word_timestamps'), false),
    segments: granularities.length === 0 || granularities.includes('segment'),
    stream,
    vadFilter,
    batchSize,
    hotwords,
    diarize,
    minSpeakers,
    maxSpeakers,
    streamExtras: bool('stream_extras', one('stream_extras'), false),
  };
}
