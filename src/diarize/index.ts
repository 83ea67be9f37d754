// Who spoke when, in the pyannote style, on ONNX Runtime in the addon: pyannote segmentation-3.0 over sliding
// 10 s windows (local speakers per window, overlaps included), a CAM++ embedding of each piece of
// each local speaker's speech (cut at its pauses, at most 3 s: pieces.ts), spectral clustering
// of the embeddings into the recording's speakers with the count from the eigen-gap (average
// linkage for short recordings), speakers that sound alike and were never heard apart merged
// (bounded by minSpeakers/maxSpeakers), turns rebuilt from the windows and smoothed; optionally
// the speakers named after speaker samples (verification).
import os from 'node:os';
import { resolveDiarize, type DiarizeSpecOptions } from '../options/index.js';
import { checkSamples, decodeAudio, type AudioInput, type AudioOptions, SAMPLE_RATE } from '../audio.js';
import { InputError, callSignal } from '../errors.js';
import { tooLongMessage } from '../ffmpeg.js';
import type { ModelLocations } from '../model-path.js';
import type { HubOptions } from '../hub-download.js';
import type { NativeEmbedding } from '../native.js';
import { loadDiarizationModels, resolveDiarizationModels } from './models.js';
export { resolveDiarizationModels } from './models.js';
import { segment, type WindowActivity } from './segmentation.js';
import { MIN_CLIP_SECONDS, embedClip, embedFrameSets } from './embedding.js';
import { fbankFeatures } from './fbank.js';
import { cutPieces, frameSpeakers, type Piece } from './pieces.js';
import { centroids, clusterSpeakers } from './clustering.js';
import { Pauser } from './pause.js';
import { reconstruct, type SpeakerTurn } from './turns.js';
import { matchSpeakers } from './verification.js';

export type { SpeakerTurn } from './turns.js';
export { assignSpeakers } from './assign-speakers.js';

/** How the pieces are clustered (tuned on the tuning half of bench/diarize-set.mjs). */
export const PIECE_CLUSTERING = {
  /** Speech alone (10 ms fbank frames) a piece needs for its embedding to be clustered (the others join the nearest speaker). */
  minCleanFrames: 100,
  /** Members a cluster needs to stand as a speaker of its own (at most a tenth of the clustered embeddings). */
  minClusterSize: 2,
  /** Fewest clustered pieces for spectral clustering; fewer (a short recording) take SHORT_CLUSTERING. */
  minSpectral: 10,
  /** Most pieces spectral clustering decomposes (an n × n eigenproblem); of more, that many spread over the recording are. */
  maxSpectral: 500,
  /** Share of the pieces kept as each one's neighbours in the spectral affinity. */
  pval: 0.012,
  /** Fewest neighbours kept per piece in the spectral affinity. */
  minNeighbours: 8,
  /**
   * Speakers are one when the mean similarity between their pieces is at least this share of that
   * within them, unless the segmentation model heard them apart in a window (clustering.ts).
   */
  mergeRatio: 0.6 as number | undefined,
  /** Most speakers the eigen-gap looks for when maxSpeakers is not given. */
  searchSpeakers: 20,
};

/**
 * Short recordings (fewer than minSpectral pieces to cluster) take the simpler path: one embedding
 * per window and local speaker, average linkage at clusteringThreshold (too few pieces give no
 * eigen-gap to read). Average linkage on the pieces themselves did better on 25 s crops of the
 * tuning half, but split overlapped speech on the fixtures' 5 s stereo test (bench/DIARIZE.md).
 */
export const SHORT_CLUSTERING = {
  ...PIECE_CLUSTERING,
  minCleanFrames: 200,
  minClusterSize: 12,
  minSpectral: Infinity,
  mergeRatio: undefined,
};

/** The pieces to embed and how to cluster them. */
export function piecesOf(windows: WindowActivity[], fbankFrames: number, tuning: typeof PIECE_CLUSTERING = PIECE_CLUSTERING) {
  const pieces = cutPieces(windows, fbankFrames);
  const clustered = pieces.filter((p) => p.home && p.clean >= tuning.minCleanFrames).length;
  if (clustered >= tuning.minSpectral) return { pieces, tuning };
  return { pieces: cutPieces(windows, fbankFrames, true), tuning: SHORT_CLUSTERING };
}

/**
 * The speaker of each piece (clustering within the call's speaker bounds), and the turns of each
 * speaker rebuilt from the windows.
 */
export async function speakersOfPieces(
  windows: WindowActivity[],
  pieces: Piece[],
  vectors: Float32Array[],
  o: { threshold: number; minSpeakers: number; maxSpeakers: number | null },
  samples: number,
  pauser = new Pauser(),
  tuning: typeof PIECE_CLUSTERING = PIECE_CLUSTERING,
) {
  const labels = await clusterSpeakers(pieces.map((p, i) => ({ vector: vectors[i], clean: p.home ? p.clean : 0, window: p.window, speaker: p.speaker })), {
    ...tuning,
    threshold: o.threshold,
    minSpeakers: Math.min(o.minSpeakers, pieces.length),
    maxSpeakers: o.maxSpeakers ?? Math.max(o.minSpeakers, tuning.searchSpeakers),
  }, pauser);
  const k = labels.reduce((m, l) => Math.max(m, l + 1), 0);
  const perSpeaker = reconstruct(windows, frameSpeakers(windows, pieces, labels), k, samples, { minGap: 0.3, minDuration: 0.1 });
  return { labels, perSpeaker };
}

/** Most speaker samples one call takes. */
export const MAX_SPEAKER_SAMPLES = 20;
/**
 * Longest speaker sample, in seconds: verification needs 2 to 30 s of the speaker alone. A longer
 * sample is refused (decoding stops at the limit), naming it; it is not cut, so that what names
 * a speaker is what the caller chose.
 */
export const MAX_SPEAKER_SAMPLE_SECONDS = 30;


export interface SpeakerSample {
  /** The name the matched speaker takes. */
  name: string;
  /** A recording of that speaker alone (a path, encoded bytes, or 16 kHz mono samples). */
  audio: AudioInput;
}

export interface DiarizeOptions extends Omit<AudioOptions, 'signal' | 'splitChannels'>, DiarizeSpecOptions {
  /** A directory holding segmentation.onnx and embedding.onnx, or a Hub repository id (default: <cache>/models/diarization). */
  diarizationModel?: string;
  /** Where the model cache and the Hub cache are (as resolveModel takes them). */
  locations?: ModelLocations & { hub?: HubOptions };
  /** Known speakers: a speaker whose voice matches a sample takes its name. */
  speakerSamples?: SpeakerSample[];
  /** ONNX Runtime's intra-op threads, and the fbank's (default: up to 4, the cores there are). */
  threads?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface SpeakerSummary {
  speaker: string;
  /** Seconds of speech (overlaps count for each speaker in them). */
  duration: number;
  turns: number;
  /** With speaker samples: the sample matched (its name is `speaker`), and the best similarity to any sample. */
  matched?: boolean;
  similarity?: number;
}

export interface Diarization {
  turns: SpeakerTurn[];
  speakers: SpeakerSummary[];
  /** Seconds of audio diarized. */
  duration: number;
}

/** The options checked, with their defaults (an InputError names a bad one). */
export function checkDiarizeOptions(o: DiarizeOptions) {
  const d = resolveDiarize(o);
  const samples = o.speakerSamples ?? [];
  if (!Array.isArray(samples)) throw new InputError('speakerSamples must be a list of { name, audio }');
  if (samples.length > MAX_SPEAKER_SAMPLES) throw new InputError(`speakerSamples: at most ${MAX_SPEAKER_SAMPLES} samples, got ${samples.length}`);
  samples.forEach((s, i) => {
    if (!s || typeof s.name !== 'string' || !s.name.trim() || s.name.length > 200) throw new InputError(`speakerSamples[${i}].name must be a non-empty string of at most 200 characters`);
    if (s.audio === undefined || s.audio === null) throw new InputError(`speakerSamples[${i}].audio is missing`);
  });
  if (new Set(samples.map((s) => s.name)).size !== samples.length) throw new InputError('speakerSamples have the same name twice');
  const cores = os.availableParallelism();
  const threads = o.threads ?? Math.min(4, cores);
  if (!Number.isInteger(threads) || threads < 1 || threads > cores * 4) throw new InputError(`threads must be an integer from 1 to ${cores * 4}, got ${JSON.stringify(o.threads)}`);
  return {
    minSpeakers: d.minSpeakers ?? 1,
    maxSpeakers: d.maxSpeakers,
    threshold: d.clusteringThreshold,
    verificationThreshold: d.verificationThreshold,
    step: d.segmentationStep,
    samples,
    threads,
  };
}

/** Diarizes a recording: its speakers' turns and a summary per speaker. */
export async function diarize(input: AudioInput, options: DiarizeOptions = {}): Promise<Diarization> {
  checkDiarizeOptions(options);
  const { signal, done } = callSignal(options.signal, options.timeoutMs, 'the diarization');
  try {
    const [audio] = await decodeAudio(input, { ...options, splitChannels: false, signal });
    return await diarizeSamples(audio, { ...options, signal });
  } finally {
    done();
  }
}

/** diarize() on 16 kHz mono samples already decoded (what transcribe's `diarize` option runs). */
export async function diarizeSamples(audio: Float32Array, options: DiarizeOptions = {}): Promise<Diarization> {
  const o = checkDiarizeOptions(options);
  checkSamples(audio, '16 kHz samples');
  // The JavaScript parts let the event loop in as they go, and stop once the signal aborts; the
  // models and the fbank run in the addon, off the JS thread, stopped by the same signal.
  const pauser = new Pauser(options.signal);
  const check = () => pauser.check();
  const files = await resolveDiarizationModels(options.diarizationModel, options.locations);
  const { segmentation, embedding } = await loadDiarizationModels(files, o.threads);
  // Samples first: a bad sample fails the call before the long work.
  const sampleVectors: Float32Array[] = [];
  for (const [i, s] of o.samples.entries()) {
    check();
    sampleVectors.push(await embedSample(s, i, embedding, options));
  }
  check();
  const duration = audio.length / SAMPLE_RATE;
  const windows = await segment(audio, Math.round(o.step * SAMPLE_RATE), segmentation, options.signal);
  const features = await fbankFeatures(audio, o.threads, options.signal);
  const { pieces, tuning } = piecesOf(windows, features.frames);
  const vectors = await embedFrameSets(embedding, features, pieces, options.signal);
  check();
  const { labels, perSpeaker } = await speakersOfPieces(windows, pieces, vectors, o, audio.length, pauser, tuning);
  check();
  const centres = centroids(vectors, labels);
  // Speakers named SPEAKER_00, 01, ... in order of first speech; those with no turn left are dropped.
  const order = perSpeaker.map((t, s) => ({ s, first: t[0]?.start ?? Infinity })).filter((x) => x.first < Infinity).sort((a, b) => a.first - b.first);
  const matches = sampleVectors.length ? matchSpeakers(order.map(({ s }) => centres[s]), sampleVectors, o.verificationThreshold) : [];
  const names = order.map((_, i) => (matches[i]?.sample >= 0 ? o.samples[matches[i].sample].name : `SPEAKER_${String(i).padStart(2, '0')}`));
  const turns: SpeakerTurn[] = [];
  const speakers: SpeakerSummary[] = order.map(({ s }, i) => {
    const list = perSpeaker[s];
    for (const t of list) turns.push({ start: round(t.start), end: round(t.end), speaker: names[i] });
    const summary: SpeakerSummary = { speaker: names[i], duration: round(list.reduce((a, t) => a + t.end - t.start, 0)), turns: list.length };
    if (sampleVectors.length) {
      summary.matched = matches[i].sample >= 0;
      summary.similarity = round(matches[i].similarity);
    }
    return summary;
  });
  turns.sort((a, b) => a.start - b.start || a.end - b.end);
  return { turns, speakers, duration };
}

/** A speaker sample's embedding: at most MAX_SPEAKER_SAMPLE_SECONDS, of at least 0.5 s of speech. */
async function embedSample(s: SpeakerSample, i: number, emb: NativeEmbedding, options: DiarizeOptions): Promise<Float32Array> {
  const which = `speaker sample ${JSON.stringify(s.name)} (speakerSamples[${i}])`;
  let clip: Float32Array;
  try {
    [clip] = await decodeAudio(s.audio, { ...options, maxAudioSeconds: MAX_SPEAKER_SAMPLE_SECONDS, splitChannels: false, signal: options.signal });
  } catch (e) {
    const message = (e as Error).message;
    if (message.endsWith(tooLongMessage(MAX_SPEAKER_SAMPLE_SECONDS))) {
      throw new InputError(`${which} is longer than ${MAX_SPEAKER_SAMPLE_SECONDS} s: give 2 to ${MAX_SPEAKER_SAMPLE_SECONDS} s of that speaker alone`);
    }
    if (options.signal?.aborted) throw e;
    throw new InputError(`${which} could not be read as audio: ${message}`);
  }
  const v = await embedClip(clip, emb, options.signal);
  if (!v) throw new InputError(`${which} is too short: ${Math.floor((clip.length / SAMPLE_RATE) * 1000) / 1000} s, and at least ${MIN_CLIP_SECONDS} s of audio is needed`);
  return v;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
