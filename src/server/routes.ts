// The routes: OpenAI's audio endpoints and model list, /health, and the page at /.
import fs from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeAudio } from '../audio.js';
import { tooLongMessage } from '../ffmpeg.js';
import { AbortError } from '../errors.js';
import { joinedText, render as renderFormat } from '../formats.js';
import type { Segment, TranscribeOptions, Transcription } from '../model.js';
import { readAudioForm, type AudioRequest } from './form.js';
import { CPU_MAX_BATCH_SIZE } from '../options/index.js';
import { badRequest, decoderReason, toApiError, tooLarge } from './openai-errors.js';
import { diarizedSegments, logprobsOf, render, usageOf } from './responses.js';
import { speakerSamplesOf } from './known-speakers.js';
import type { SpeakerSample } from '../diarize/index.js';
import { logRequestError } from './request-log.js';
import { EventStream } from './sse.js';
import type { ModelRegistry } from './models.js';
import type { Scheduler } from './scheduler.js';

export interface RouteContext {
  models: ModelRegistry;
  scheduler: Scheduler;
  maxFileBytes: number;
  maxAudioSeconds: number;
  vadModelPath?: string;
  ffmpegPath?: string;
  /** The page's HTML file. */
  pagePath: string;
}

type Task = 'transcribe' | 'translate';

const EMPTY = Buffer.alloc(0);

/**
 * A request's transcribe options: its option fields, the endpoint's task, OpenAI's language and
 * granularities, the server's VAD default (on: requests are batched), and its batch size, at most
 * CPU_MAX_BATCH_SIZE on a CPU (as the worker does; larger batches only cost memory there).
 */
function requestOptions(
  form: AudioRequest,
  task: Task,
  device: string,
  ctx: RouteContext,
  speakerSamples: SpeakerSample[],
): { options: TranscribeOptions; batchSize?: number; vadFilter: boolean } {
  const { diarize: speakerSettings, batchSize: asked, ...fields } = form.options;
  const vadFilter = fields.vadFilter ?? true;
  let batchSize = asked ?? undefined;
  if (batchSize !== undefined && device === 'cpu' && batchSize > CPU_MAX_BATCH_SIZE) batchSize = CPU_MAX_BATCH_SIZE;
  const options: TranscribeOptions = {
    ...fields,
    task,
    language: form.language,
    wordTimestamps: form.wordTimestamps,
    tokenLogprobs: form.logprobs,
    vadFilter,
    vadModelPath: ctx.vadModelPath,
    diarize: form.diarize ? { ...(speakerSettings as object | undefined), ...(speakerSamples.length ? { speakerSamples } : {}) } : undefined,
  };
  return { options, batchSize, vadFilter };
}

/** The upload as 16 kHz samples: a 413 past the duration limit, a 400 for what is not audio. */
async function decodeUpload(form: AudioRequest, ctx: RouteContext, signal: AbortSignal): Promise<Float32Array> {
  try {
    const [audio] = await decodeAudio(form.file, { maxAudioSeconds: ctx.maxAudioSeconds, maxAudioBytes: ctx.maxFileBytes, ffmpegPath: ctx.ffmpegPath, signal });
    return audio;
  } catch (e) {
    const message = (e as Error).message;
    // The decoders' one message for audio past the limit (ffmpeg.ts and the native decoder say the same).
    if (message.endsWith(tooLongMessage(ctx.maxAudioSeconds))) {
      throw tooLarge(`the audio of ${form.filename} is longer than this server's limit of ${ctx.maxAudioSeconds} s (--max-audio-seconds)`);
    }
    if (e instanceof AbortError) throw e;
    throw badRequest(`could not read ${form.filename} as audio: ${decoderReason(message)}`, 'file', 'invalid_file_format');
  }
}

/**
 * A transcription or translation: the form is read whole first (within the server's body
 * timeout), then the request is admitted to the queue (by count and upload bytes); its upload is
 * decoded when the scheduler takes it for a call.
 */
async function audioRoute(request: FastifyRequest, reply: FastifyReply, ctx: RouteContext, task: Task): Promise<void> {
  const form = await readAudioForm(request, task === 'translate', ctx.maxFileBytes);
  const release = ctx.scheduler.admit(form.file.length);
  const gone = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) gone.abort(new AbortError('the client disconnected'));
  };
  reply.raw.on('close', onClose);
  // With stream=true the events start once the upload is decoded (a bad upload is still a 400).
  const stream = form.stream ? new EventStream(reply.raw) : undefined;
  let streaming = false;
  try {
    const served = ctx.models.find(form.model);
    const model = await ctx.models.get(served);
    if (task === 'translate' && !model.isMultilingual) {
      throw badRequest(`the model ${served.id} is English-only: translations need a multilingual model`, 'model');
    }
    // Known speakers' references are decoded now (small: at most 4 of at most 30 s), a bad one a 400.
    const speakerSamples = await speakerSamplesOf(form.knownSpeakers, ctx.ffmpegPath, gone.signal);
    form.knownSpeakers = [];
    const { options, batchSize, vadFilter } = requestOptions(form, task, model.device, ctx, speakerSamples);
    options.signal = gone.signal;
    if (stream) streamEvents(stream, options, form);
    const decode = async () => {
      const audio = await decodeUpload(form, ctx, gone.signal);
      if (stream && !streaming) {
        reply.hijack();
        stream.open();
        streaming = true;
      }
      return audio;
    };
    // Once its samples are in a call, the encoded upload is let go.
    const taken = () => {
      form.file = EMPTY;
    };
    // Diarization follows the transcription of its own request: such requests run alone.
    const alone = !vadFilter || form.diarize;
    const result = await ctx.scheduler.submit({ model: served, decode, taken, options, batchSize, alone });
    if (stream && streaming) {
      if (form.responseFormat === 'diarized_json') for (const segment of diarizedSegments(result)) stream.send(segment);
      stream.send(doneEvent(result, form));
      stream.end();
      return;
    }
    const out = render(result, form, task);
    reply.type(out.contentType).send(out.body);
  } catch (e) {
    if (!stream || !streaming) throw e;
    // Headers are sent: the error goes to the client as the stream's last event, and to the log here.
    logRequestError(request, e);
    stream.send(toApiError(e).body());
    stream.end();
  } finally {
    release();
    reply.raw.off('close', onClose);
  }
}

/**
 * Segments as OpenAI's `transcript.text.delta` events, each as soon as it is decoded (with
 * include[]=logprobs, its tokens' `logprobs`); our segment and progress as extras. With
 * diarized_json, the `transcript.text.segment` events follow once the speakers are known.
 */
function streamEvents(stream: EventStream, options: TranscribeOptions, form: AudioRequest): void {
  let first = true;
  options.onSegment = (s: Segment) => {
    const delta = first ? s.text.trimStart() : s.text;
    first = false;
    const event: Record<string, unknown> = { type: 'transcript.text.delta', delta };
    if (form.logprobs) event.logprobs = s.token_logprobs ?? [];
    if (form.streamExtras) event.segment = { id: s.id, start: s.start, end: s.end, text: s.text };
    stream.send(event);
  };
  if (form.streamExtras) {
    options.onProgress = (done, total) => stream.send({ type: 'ct2_whisper.progress', seconds_done: done, seconds_total: total });
  }
}

function doneEvent(t: Transcription, form: AudioRequest): object {
  const event: Record<string, unknown> = { type: 'transcript.text.done', text: joinedText(t.segments) };
  if (form.logprobs) event.logprobs = logprobsOf(t.segments);
  event.usage = usageOf(t);
  if (form.streamExtras) {
    event.ct2_whisper = {
      language: t.info.language,
      duration: t.info.duration,
      segments: t.segments.map((s) => ({ id: s.id, start: s.start, end: s.end, text: s.text })),
      formats: { json: renderFormat(t, 'json'), srt: renderFormat(t, 'srt', form.subtitles), vtt: renderFormat(t, 'vtt', form.subtitles), txt: renderFormat(t, 'text') },
    };
  }
  return event;
}

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const page = fs.readFileSync(ctx.pagePath, 'utf8');
  app.post('/v1/audio/transcriptions', (req, reply) => audioRoute(req, reply, ctx, 'transcribe'));
  app.post('/v1/audio/translations', (req, reply) => audioRoute(req, reply, ctx, 'translate'));
  app.get('/v1/models', async () => ctx.models.list());
  app.get('/v1/models/:id', async (req) => {
    const id = (req.params as { id: string }).id;
    ctx.models.find(id);
    return ctx.models.list().data.find((m) => m.id === id);
  });
  app.get('/health', async () => ({
    status: 'ok',
    default_model: ctx.models.defaultModel.id,
    models: ctx.models.models.map((m) => m.id),
    aliases: Object.fromEntries(ctx.models.aliases),
    scheduler: ctx.scheduler.stats(),
  }));
  app.get('/', (_req, reply) => {
    reply.type('text/html; charset=utf-8').send(page);
  });
}
