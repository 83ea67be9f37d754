// OpenAI's known speakers: `known_speaker_names[]` with `known_speaker_references[]`, data URLs
// of a sample of each speaker alone. They become the diarization's speaker samples (speaker
// verification, src/diarize/verification.ts): a speaker whose voice matches a sample takes its
// name. The references are decoded when the form is read, each a 400 naming it when it is not
// audio or not of a length verification takes.
import { decodeAudio, SAMPLE_RATE } from '../audio.js';
import { MAX_SPEAKER_SAMPLE_SECONDS, type SpeakerSample } from '../diarize/index.js';
import { MIN_CLIP_SECONDS } from '../diarize/embedding.js';
import { tooLongMessage } from '../ffmpeg.js';
import { badRequest, decoderReason } from './openai-errors.js';

/** Most known speakers a request may name (OpenAI's limit: 4). */
export const MAX_KNOWN_SPEAKERS = 4;
/** Longest speaker name, in characters (the diarization's limit). */
const MAX_NAME_CHARS = 200;

/** A known speaker as the form gives it: the name and the sample's encoded bytes. */
export interface KnownSpeaker {
  name: string;
  audio: Buffer;
}

/** A data URL's bytes (`data:[type][;base64],...`; base64 only, as OpenAI's examples send them). */
function dataUrlBytes(url: string, i: number): Buffer {
  const m = /^data:([^,]*?),(.*)$/s.exec(url.trim());
  const field = `known_speaker_references[${i}]`;
  if (!m) throw badRequest(`${field} must be a data URL (data:audio/wav;base64,...), got ${JSON.stringify(url.slice(0, 40))}`, 'known_speaker_references');
  if (!/;base64$/i.test(m[1])) throw badRequest(`${field} must be a base64 data URL (data:audio/...;base64,...)`, 'known_speaker_references');
  const b64 = m[2].replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw badRequest(`${field} is not valid base64`, 'known_speaker_references');
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length === 0) throw badRequest(`${field} holds no audio`, 'known_speaker_references');
  return bytes;
}

/** The known speakers a form names: as many names as references, each name once. */
export function knownSpeakersOf(names: string[], references: string[]): KnownSpeaker[] {
  if (names.length === 0 && references.length === 0) return [];
  if (names.length !== references.length) {
    throw badRequest(`known_speaker_names[] (${names.length}) and known_speaker_references[] (${references.length}) must pair up: one reference per name`, names.length < references.length ? 'known_speaker_names' : 'known_speaker_references');
  }
  if (names.length > MAX_KNOWN_SPEAKERS) throw badRequest(`at most ${MAX_KNOWN_SPEAKERS} known speakers, got ${names.length}`, 'known_speaker_names');
  const seen = new Set<string>();
  return names.map((raw, i) => {
    const name = raw.trim();
    if (!name || name.length > MAX_NAME_CHARS) throw badRequest(`known_speaker_names[${i}] must be a name of 1 to ${MAX_NAME_CHARS} characters`, 'known_speaker_names');
    if (seen.has(name)) throw badRequest(`known_speaker_names has ${JSON.stringify(name)} twice`, 'known_speaker_names');
    seen.add(name);
    return { name, audio: dataUrlBytes(references[i], i) };
  });
}

/**
 * The known speakers' samples, decoded to 16 kHz: each at least MIN_CLIP_SECONDS and at most
 * MAX_SPEAKER_SAMPLE_SECONDS long (OpenAI asks for 2 to 10 s), else a 400 naming it.
 */
export async function speakerSamplesOf(known: KnownSpeaker[], ffmpegPath: string | undefined, signal: AbortSignal): Promise<SpeakerSample[]> {
  const samples: SpeakerSample[] = [];
  for (const [i, k] of known.entries()) {
    const which = `known_speaker_references[${i}] (${JSON.stringify(k.name)})`;
    let audio: Float32Array;
    try {
      [audio] = await decodeAudio(k.audio, { maxAudioSeconds: MAX_SPEAKER_SAMPLE_SECONDS, ffmpegPath, signal });
    } catch (e) {
      if (signal.aborted) throw e;
      const message = (e as Error).message;
      if (message.endsWith(tooLongMessage(MAX_SPEAKER_SAMPLE_SECONDS))) {
        throw badRequest(`${which} is longer than ${MAX_SPEAKER_SAMPLE_SECONDS} s: give 2 to 10 s of that speaker alone`, 'known_speaker_references');
      }
      throw badRequest(`${which} could not be read as audio: ${decoderReason(message)}`, 'known_speaker_references');
    }
    const seconds = audio.length / SAMPLE_RATE;
    if (seconds < MIN_CLIP_SECONDS) {
      throw badRequest(`${which} is ${Math.floor(seconds * 1000) / 1000} s: give 2 to 10 s of that speaker alone`, 'known_speaker_references');
    }
    samples.push({ name: k.name, audio });
  }
  return samples;
}
