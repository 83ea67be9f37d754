// Audio input: a file path, an encoded file in memory, or 16 kHz mono samples, to
// 16 kHz float32. WAV, FLAC, MP3, M4A/AAC and OGG Vorbis are decoded natively;
// anything else goes through ffmpeg.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { native } from './native.js';
import { InputError, abortError } from './errors.js';
import { decodeWithFfmpeg, SAMPLE_RATE } from './ffmpeg.js';

export { SAMPLE_RATE };

/** A file path, the bytes of an encoded file, or 16 kHz mono float32 samples. */
export type AudioInput = string | Buffer | Uint8Array | Float32Array;

export interface DecodeOptions {
  /** Return one array per channel instead of mixing to mono. */
  splitChannels?: boolean;
  /** 'auto' (default): the built-in decoder where it can, else ffmpeg. */
  decoder?: 'auto' | 'native' | 'ffmpeg';
  /** ffmpeg executable (default: $FFMPEG_PATH, else `ffmpeg` on PATH). */
  ffmpegPath?: string;
  signal?: AbortSignal;
}

const NATIVE_FORMATS = 'WAV, FLAC, MP3, M4A/AAC, OGG Vorbis';

async function readInput(input: string | Buffer | Uint8Array): Promise<{ bytes: Buffer; name: string; file?: string }> {
  if (typeof input === 'string') {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(input);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new InputError(`audio file not found: ${input}`);
      if (code === 'EISDIR') throw new InputError(`audio path is a directory, not a file: ${input}`);
      throw new InputError(`cannot read audio file ${input}: ${(e as Error).message}`);
    }
    return { bytes, name: input, file: input };
  }
  return { bytes: Buffer.from(input.buffer, input.byteOffset, input.byteLength), name: 'audio buffer' };
}

/** Decodes any supported input to 16 kHz float32 arrays (one, or one per channel). */
export async function decodeAudio(input: AudioInput, opts: DecodeOptions = {}): Promise<Float32Array[]> {
  if (input instanceof Float32Array) {
    if (opts.splitChannels) throw new InputError('splitChannels needs an encoded file, not raw samples');
    return [input];
  }
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new InputError('audio must be a file path, a Buffer/Uint8Array holding an encoded file, or a Float32Array of 16 kHz samples');
  }
  const { bytes, name, file } = await readInput(input);
  if (bytes.length === 0) throw new InputError(`audio is empty (0 bytes): ${name}`);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const decoder = opts.decoder ?? 'auto';
  let nativeError: Error | undefined;
  if (decoder !== 'ffmpeg') {
    try {
      const ext = file ? path.extname(file).slice(1).toLowerCase() || null : null;
      const d = await native().decodeAudio(bytes, ext, !!opts.splitChannels);
      return d.channels;
    } catch (e) {
      nativeError = e as Error;
      if (decoder === 'native') throw new InputError(`could not decode ${name}: ${nativeError.message}`);
    }
  }
  // ffmpeg reads a file, so bytes in memory go through a private temp file, removed after.
  let tmpDir: string | undefined;
  let target = file;
  try {
    if (!target) {
      tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ct2w-audio-'));
      target = path.join(tmpDir, 'input');
      await fs.writeFile(target, bytes);
    }
    return await decodeWithFfmpeg(target, opts);
  } catch (e) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const why = (e as Error).message;
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
