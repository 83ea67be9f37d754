// Decoding through an ffmpeg executable, for formats the built-in decoder does not read.
// Output is capped like the built-in decoder's: ffmpeg stops just past the limit (-t), and
// reading stops (and ffmpeg is killed) as soon as more than the limit has come out.
//
// The input is hostile, and ffmpeg will open whatever a file names if let: an HLS playlist or a
// concat list uploaded as `notes.txt` would have it read (and us transcribe) recordings elsewhere
// on the host, or fetch URLs. So ffmpeg opens the one file and nothing else: the path goes in as a
// `file:` URL (a name like `data:...` or `subfile,...:` is not read as a protocol), only the
// `file` protocol is allowed, and only audio and video container demuxers (FFMPEG_DEMUXERS): no
// playlist (hls, dash), list (concat), image sequence (image2), script or device.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { InputError } from './errors.js';

export const SAMPLE_RATE = 16000;

/** The refusal for length, in the built-in decoder's words (native/src/audio.rs). */
export function tooLongMessage(limitSeconds: number): string {
  return `audio is longer than the limit of ${limitSeconds} s (MAX_AUDIO_SECONDS)`;
}

/**
 * The demuxers ffmpeg may use: audio and video containers and raw audio streams that hold their
 * audio themselves, none that opens another file or URL (mov's external references stay off, as
 * by default). A format outside the list is refused with FORMAT_REFUSED.
 */
export const FFMPEG_DEMUXERS = [
  'aac', 'ac3', 'aiff', 'amr', 'amrnb', 'amrwb', 'ape', 'asf', 'au', 'avi', 'caf', 'dsf', 'dts', 'dtshd', 'dv',
  'eac3', 'flac', 'flv', 'g722', 'g723_1', 'g729', 'gsm', 'ilbc', 'ircam', 'loas', 'matroska', 'mlp', 'mov',
  'mp3', 'mpc', 'mpc8', 'mpeg', 'mpegts', 'mxf', 'nistsphere', 'nut', 'ogg', 'oma', 'qcp', 'rm', 'shn', 'sox',
  'tak', 'truehd', 'tta', 'voc', 'vqf', 'w64', 'wav', 'wsd', 'wtv', 'wv', 'xwma',
];

/** ffmpeg's input options that keep it to the one file (see the top of this file). */
export function inputArgs(file: string): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', FFMPEG_DEMUXERS.join(','), '-i', `file:${path.resolve(file)}`];
}

/** Why ffmpeg refused a file for its format (the demuxer is named in ffmpeg's `[name @ 0x..]` prefix). */
function formatRefused(stderr: string): string | undefined {
  const m = /\[([\w,]+) @ [^\]]*\] Format not on whitelist/.exec(stderr);
  if (!m) return undefined;
  return `it is in the ${m[1]} format, which is not read: only audio and video files are (not playlists, lists of files, image sequences or other formats that open further files)`;
}

/** The ffmpeg executable: `explicit` (the ffmpegPath option), else `ffmpeg` on PATH. */
export function ffmpegPath(explicit?: string): string {
  return explicit || 'ffmpeg';
}

interface FfmpegRun {
  /** stdout, as it came (not joined: that would be one more copy of the audio). */
  chunks: Buffer[];
  bytes: number;
  stderr: string;
  code: number | null;
  /** Output passed `maxBytes`; ffmpeg was killed. */
  overflow: boolean;
}

function runFfmpeg(bin: string, args: string[], maxBytes: number, signal?: AbortSignal): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let overflow = false;
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      if (overflow) return;
      bytes += b.length;
      if (bytes > maxBytes) {
        overflow = true;
        chunks.length = 0;
        child.kill('SIGKILL');
      } else chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64 * 1024) err += b.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(new InputError(`ffmpeg was not found (tried "${bin}"); install ffmpeg or pass ffmpegPath (FFMPEG_PATH for the CLI and the worker)`));
      } else reject(e);
    });
    child.on('close', (code) => resolve({ chunks, bytes, stderr: err, code, overflow }));
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

/** 16-bit little-endian samples spread over chunks (a sample may straddle two) to float32. */
function pcm16ToFloat(chunks: Buffer[], bytes: number): Float32Array {
  const samples = new Float32Array(Math.floor(bytes / 2));
  let i = 0;
  let low = -1; // the first byte of a sample cut by a chunk boundary
  for (const c of chunks) {
    let p = 0;
    if (low >= 0 && c.length > 0) {
      samples[i++] = ((c[0] << 24) >> 16 | low) / 32768;
      low = -1;
      p = 1;
    }
    for (; p + 1 < c.length; p += 2) samples[i++] = c.readInt16LE(p) / 32768;
    if (p < c.length) low = c[p];
  }
  return samples;
}

/**
 * Decodes a file with ffmpeg to 16 kHz: mono (ffmpeg's own downmix) or one array per channel.
 * Samples go through 16-bit PCM, as faster-whisper's PyAV resampler (format "s16") sends them,
 * so that both engines see the same numbers. More than `maxAudioSeconds` of output (all
 * channels together when split) is refused with the built-in decoder's message.
 */
export async function decodeWithFfmpeg(
  file: string,
  opts: { splitChannels?: boolean; ffmpegPath?: string; signal?: AbortSignal; maxAudioSeconds: number },
): Promise<Float32Array[]> {
  const bin = ffmpegPath(opts.ffmpegPath);
  const limit = opts.maxAudioSeconds;
  // One second past the limit, so that audio just over it is seen to be over it.
  const common = ['-nostdin', '-hide_banner', '-loglevel', 'error', ...inputArgs(file), '-vn', '-t', String(limit + 1), '-ar', String(SAMPLE_RATE)];
  const args = opts.splitChannels
    ? [...common, '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1']
    : [...common, '-ac', '1', '-f', 's16le', 'pipe:1'];
  const maxBytes = Math.floor(limit * SAMPLE_RATE) * 2 + (opts.splitChannels ? WAV_HEADER_ROOM : 0);
  const r = await runFfmpeg(bin, args, maxBytes, opts.signal);
  if (r.overflow) throw new InputError(tooLongMessage(limit));
  if (r.code !== 0) {
    const refused = formatRefused(r.stderr);
    if (refused) throw new InputError(`could not decode audio: ${refused}`);
    throw new InputError(`could not decode audio: ffmpeg: ${lastLine(r.stderr)}`);
  }
  if (opts.splitChannels) return parsePcm16Wav(Buffer.concat(r.chunks));
  return [pcm16ToFloat(r.chunks, r.bytes)];
}

/** Room for the header of the WAV that ffmpeg writes when channels are split. */
const WAV_HEADER_ROOM = 4096;
