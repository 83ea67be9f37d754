// Audio input: a file path, an encoded file in memory, or 16 kHz mono samples, to
// 16 kHz float32. WAV, FLAC, MP3, M4A/AAC and OGG Vorbis are decoded natively;
// anything else goes through ffmpeg.
//
// Input may be hostile, so nothing is read before it is known to be bounded: a path must be a
// regular file (not /dev/zero, a FIFO or a directory) within `maxAudioBytes`, and decoding stops
// at `maxAudioSeconds` in either decoder (the native one also checks the header first).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { native } from './native.js';
import type { PipelineSpecOptions } from './options/index.js';
import { ErrorCode, InputError, abortError } from './errors.js';
import { decodeWithFfmpeg, SAMPLE_RATE, tooLongMessage } from './ffmpeg.js';

export { SAMPLE_RATE };

/** Default cap on decoded audio: 4 hours (all channels together with `splitChannels`). */
export const DEFAULT_MAX_AUDIO_SECONDS = 4 * 3600;
/** Default cap on an input file or buffer: 1 GiB. */
export const DEFAULT_MAX_AUDIO_BYTES = 1024 ** 3;

/** A file path, the bytes of an encoded file, or 16 kHz mono float32 samples. */
export type AudioInput = string | Buffer | Uint8Array | Float32Array;

/** How audio is read (`splitChannels`: one array per channel instead of mixing to mono). */
export interface AudioOptions extends Pick<PipelineSpecOptions, 'splitChannels'> {
  /** 'auto' (default): the built-in decoder where it can, else ffmpeg. */
  decoder?: 'auto' | 'native' | 'ffmpeg';
  /** ffmpeg executable (default: $FFMPEG_PATH, else `ffmpeg` on PATH). */
  ffmpegPath?: string;
  /**
   * Longest audio accepted, in seconds (default 4 hours); with `splitChannels`, of all channels
   * together. Longer audio is refused ("audio is longer than the limit"), from its header where
   * the header says so, else as soon as that much has decoded.
   */
  maxAudioSeconds?: number;
  /** Largest file or buffer accepted, in bytes (default 1 GiB), checked before it is read. */
  maxAudioBytes?: number;
  signal?: AbortSignal;
}

const NATIVE_FORMATS = 'WAV, FLAC, MP3, M4A/AAC, OGG Vorbis';

/** Native errors that ffmpeg may still get past; the rest (bad headers, limits, bugs) are final. */
const FFMPEG_MAY_READ = /^(unsupported audio format|corrupt audio):/;

function limits(opts: AudioOptions): { seconds: number; bytes: number } {
  const seconds = opts.maxAudioSeconds ?? DEFAULT_MAX_AUDIO_SECONDS;
  const bytes = opts.maxAudioBytes ?? DEFAULT_MAX_AUDIO_BYTES;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InputError(`maxAudioSeconds must be a positive number of seconds, got ${JSON.stringify(seconds)}`);
  }
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1) {
    throw new InputError(`maxAudioBytes must be a positive whole number of bytes, got ${JSON.stringify(bytes)}`);
  }
  return { seconds, bytes };
}

function tooBig(what: string, size: number, limit: number): InputError {
  return new InputError(`${what} is ${size} bytes, more than the limit of ${limit} bytes (MAX_AUDIO_BYTES)`);
}

/**
 * Checks a path before anything reads it: stat (which opens nothing, so a device's open() side
 * effects never run) must say a regular file within the byte cap. The native decoder checks the
 * descriptor it opens again, so a path swapped in between is still refused.
 */
async function checkFile(file: string, maxBytes: number): Promise<void> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`audio file not found: ${file}`);
    throw new InputError(`cannot read audio file ${file}: ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new InputError(`audio path is a directory, not a file: ${file}`);
  if (!st.isFile()) {
    const kind = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a file';
    throw new InputError(`audio path is not a regular file (${kind}): ${file}`);
  }
  if (st.size > maxBytes) throw tooBig('audio file', st.size, maxBytes);
  if (st.size === 0) throw new InputError(`audio is empty (0 bytes): ${file}`);
}

/** Decodes any supported input to 16 kHz float32 arrays (one, or one per channel). */
export async function decodeAudio(input: AudioInput, opts: AudioOptions = {}): Promise<Float32Array[]> {
  const limit = limits(opts);
  if (input instanceof Float32Array) {
    if (opts.splitChannels) throw new InputError('splitChannels needs an encoded file, not raw samples');
    if (input.length / SAMPLE_RATE > limit.seconds) throw new InputError(`16 kHz samples: ${tooLongMessage(limit.seconds)}`);
    return [input];
  }
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new InputError('audio must be a file path, a Buffer/Uint8Array holding an encoded file, or a Float32Array of 16 kHz samples');
  }
  let file: string | undefined;
  let bytes: Buffer | undefined;
  if (typeof input === 'string') {
    file = input;
    await checkFile(file, limit.bytes);
  } else {
    bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (bytes.length === 0) throw new InputError('audio is empty (0 bytes): audio buffer');
    if (bytes.length > limit.bytes) throw tooBig('audio', bytes.length, limit.bytes);
  }
  const name = file ?? 'audio buffer';
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const decoder = opts.decoder ?? 'auto';
  let nativeError: Error | undefined;
  if (decoder !== 'ffmpeg') {
    try {
      const split = !!opts.splitChannels;
      // A file is read by the decoder as a stream, never held whole in memory.
      const d = file !== undefined
        ? await native().decodeAudioFile(file, path.extname(file).slice(1).toLowerCase() || null, split, limit.seconds, limit.bytes)
        : await native().decodeAudio(bytes!, null, split, limit.seconds, limit.bytes);
      return d.channels;
    } catch (e) {
      nativeError = e as Error;
      const why = nativeError.message;
      // A panic caught in the addon is our bug, not the input's: it goes up as it is.
      if ((e as { code?: string }).code === ErrorCode.INTERNAL) throw nativeError;
      if (!FFMPEG_MAY_READ.test(why)) throw new InputError(`${name}: ${why}`);
      if (decoder === 'native') throw new InputError(`could not decode ${name}: ${why}`);
    }
  }
  // ffmpeg reads a file, so bytes in memory go through a private temp file, removed after.
  let tmpDir: string | undefined;
  let target = file;
  try {
    if (!target) {
      tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ct2w-audio-'));
      target = path.join(tmpDir, 'input');
      await fs.writeFile(target, bytes!);
    }
    return await decodeWithFfmpeg(target, { ...opts, maxAudioSeconds: limit.seconds });
  } catch (e) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const why = (e as Error).message;
    if (why === tooLongMessage(limit.seconds)) throw new InputError(`${name}: ${why}`);
    if (nativeError && /ffmpeg was not found/.test(why)) {
      throw new InputError(
        `${name} is not in a format the built-in decoder reads (${NATIVE_FORMATS}: ${nativeError.message}), and ${why}`,
      );
    }
    throw new InputError(`${name} is not audio that can be decoded: ${why.replace(/^could not decode audio: /, '')}`);
  } finally {
    if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
  }
}
