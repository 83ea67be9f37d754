// Decoding through an ffmpeg executable, for formats the built-in decoder does not read.
import { spawn } from 'node:child_process';
import { InputError } from './errors.js';

export const SAMPLE_RATE = 16000;

export function ffmpegPath(explicit?: string): string {
  return explicit || process.env.FFMPEG_PATH || 'ffmpeg';
}

interface FfmpegRun {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

function runFfmpeg(bin: string, args: string[], signal?: AbortSignal): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64 * 1024) err += b.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(new InputError(`ffmpeg was not found (tried "${bin}"); install ffmpeg or set FFMPEG_PATH`));
      } else reject(e);
    });
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: err, code }));
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? 'no output';
}

/** Reads a 16-bit WAV that ffmpeg wrote to a pipe (its size fields may be unset). */
function parsePcm16Wav(buf: Buffer): Float32Array[] {
  let pos = 12;
  let channels = 1;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (id === 'fmt ') channels = buf.readUInt16LE(pos + 10);
    if (id === 'data') {
      const start = pos + 8;
      const end = size === 0xffffffff || start + size > buf.length ? buf.length : start + size;
      const frames = Math.floor((end - start) / 2 / channels);
      const planes = Array.from({ length: channels }, () => new Float32Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < channels; c++) planes[c][i] = buf.readInt16LE(start + (i * channels + c) * 2) / 32768;
      }
      return planes;
    }
    pos += 8 + size + (size % 2);
  }
  throw new InputError('ffmpeg produced no audio data');
}

/**
 * Decodes a file with ffmpeg to 16 kHz: mono (ffmpeg's own downmix) or one array per channel.
 * Samples go through 16-bit PCM, as faster-whisper's PyAV resampler (format "s16") sends them,
 * so that both engines see the same numbers.
 */
export async function decodeWithFfmpeg(
  file: string,
  opts: { splitChannels?: boolean; ffmpegPath?: string; signal?: AbortSignal } = {},
): Promise<Float32Array[]> {
  const bin = ffmpegPath(opts.ffmpegPath);
  const common = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', file, '-vn', '-ar', String(SAMPLE_RATE)];
  const args = opts.splitChannels
    ? [...common, '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1']
    : [...common, '-ac', '1', '-f', 's16le', 'pipe:1'];
  const r = await runFfmpeg(bin, args, opts.signal);
  if (r.code !== 0) {
    throw new InputError(`could not decode audio: ffmpeg: ${lastLine(r.stderr)}`);
  }
  if (opts.splitChannels) return parsePcm16Wav(r.stdout);
  const samples = new Float32Array(Math.floor(r.stdout.length / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = r.stdout.readInt16LE(i * 2) / 32768;
  return [samples];
}
