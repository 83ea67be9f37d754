#!/usr/bin/env node
// Writes hostile audio inputs (forged headers, truncated and random files, a 10-hour bomb, paths
// that are not files) into a directory and lists what each must produce, so the library, CLI and
// worker tests run the same cases. Real encoders (ffmpeg) make the valid files; the forgeries patch
// their header fields in place, with the checksums a reader verifies recomputed (OGG page CRC).
//
// Usage: node test/hostile/generate-audio.mjs <dir>   (prints the cases as JSON)
// In a test: `const cases = await generateHostileAudio(dir)`; each case is
//   { name, file, what, expect: 'ok' | 'any' (an error or audio, never a crash) | RegExp,
//     duration?: [min, max] seconds of a success,
//     kind: 'file' | 'special' (a path that is not a regular file: library and CLI only),
//     options?: library options the case needs (e.g. a small maxAudioBytes),
//     long?: true (decode it, but do not transcribe it all) }
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { fixture } from '../helpers.mjs';

const run = promisify(execFile);

/** What the refusals say; one place, so the suites that share the cases agree. */
export const ERRORS = {
  rate: (hz) => new RegExp(`sample rate ${hz} Hz is outside the supported 1000.384000 Hz`),
  channels: (n) => new RegExp(`channel count ${n} is outside the supported 1.32`),
  tooLong: /audio is longer than the limit of 14400 s \(MAX_AUDIO_SECONDS\)/,
  /** A panic inside the decoder, caught at the Node-API boundary. */
  internal: /^internal error: /,
  undecodable: /not audio that can be decoded|could not decode|corrupt audio|unsupported audio format/,
  empty: /audio is empty \(0 bytes\)/,
  notFile: /is not a regular file|is a directory/,
  tooBig: /audio (file )?is \d+ bytes, more than the limit of \d+ bytes \(MAX_AUDIO_BYTES\)/,
};

// -- WAV ------------------------------------------------------------------------------------------

/** A RIFF/WAVE file; every header field can be forged. `data` is the data chunk's payload. */
function wav({ format = 1, channels = 1, rate = 16000, bits = 16, blockAlign, byteRate, data, dataLen, extra } = {}) {
  // A data length that is not the data's (a stream's placeholder, or a lie) goes with a RIFF
  // length of 0xFFFFFFFF, as a writer to a pipe leaves it.
  blockAlign ??= (channels * bits) >> 3;
  byteRate ??= (rate * blockAlign) >>> 0;
  const fmtLen = 16 + (extra ? extra.length : 0);
  const head = Buffer.alloc(20 + fmtLen + 8);
  head.write('RIFF', 0);
  head.writeUInt32LE(dataLen === undefined ? head.length - 8 + data.length : 0xffffffff, 4);
  head.write('WAVE', 8);
  head.write('fmt ', 12);
  head.writeUInt32LE(fmtLen, 16);
  head.writeUInt16LE(format, 20);
  head.writeUInt16LE(channels, 22);
  head.writeUInt32LE(rate >>> 0, 24);
  head.writeUInt32LE(byteRate >>> 0, 28);
  head.writeUInt16LE(blockAlign & 0xffff, 32);
  head.writeUInt16LE(bits, 34);
  if (extra) extra.copy(head, 36);
  head.write('data', 20 + fmtLen);
  head.writeUInt32LE((dataLen ?? data.length) >>> 0, 24 + fmtLen);
  return Buffer.concat([head, data]);
}

/** A tone, as 16-bit PCM: audio a decoder accepts once the header is right. */
function tone16(samples, channels = 1, period = 37) {
  const b = Buffer.alloc(samples * channels * 2);
  for (let i = 0; i < samples * channels; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * Math.floor(i / channels)) / period)), i * 2);
  return b;
}

// -- OGG ------------------------------------------------------------------------------------------

const OGG_CRC = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Recomputes the CRC of the OGG page at `start` (a reader rejects a page whose CRC is wrong). */
function fixOggPageCrc(buf, start) {
  const nSeg = buf[start + 26];
  let len = 27 + nSeg;
  for (let i = 0; i < nSeg; i++) len += buf[start + 27 + i];
  buf.writeUInt32LE(0, start + 22);
  let crc = 0;
  for (let i = start; i < start + len; i++) crc = ((crc << 8) ^ OGG_CRC[((crc >>> 24) ^ buf[i]) & 0xff]) >>> 0;
  buf.writeUInt32LE(crc, start + 22);
}

/** An OGG Vorbis file whose identification header says `channels` and `rate`. */
function forgeVorbis(ogg, { channels, rate }) {
  const b = Buffer.from(ogg);
  const at = b.indexOf(Buffer.from('\x01vorbis', 'latin1'));
  if (channels !== undefined) b[at + 11] = channels;
  if (rate !== undefined) b.writeUInt32LE(rate >>> 0, at + 12);
  fixOggPageCrc(b, b.lastIndexOf(Buffer.from('OggS'), at));
  return b;
}

// -- FLAC -----------------------------------------------------------------------------------------

/** A FLAC file whose STREAMINFO says `rate`, `channels` (1-8) and `totalSamples` (36 bits). */
function forgeStreaminfo(flac, { rate, totalSamples }) {
  const b = Buffer.from(flac);
  // "fLaC", a 4-byte block header, then min/max block size (2+2) and frame size (3+3): the packed
  // rate (20 bits), channels-1 (3), bits-1 (5) and total samples (36) follow, at byte 18.
  let v = b.readBigUInt64BE(18);
  if (rate !== undefined) v = (v & ~(0xfffffn << 44n)) | (BigInt(rate) << 44n);
  if (totalSamples !== undefined) v = (v & ~0xfffffffffn) | BigInt(totalSamples);
  b.writeBigUInt64BE(v, 18);
  return b;
}

// -- MP4 ------------------------------------------------------------------------------------------

/** An M4A whose media header (mdhd) says `timescale` and `duration` (version-0 box). */
function forgeMdhd(m4a, { timescale, duration }) {
  const b = Buffer.from(m4a);
  const at = b.indexOf(Buffer.from('mdhd'));
  if (b[at + 4] !== 0) throw new Error('mdhd is not version 0');
  // After the type: version (1), flags (3), creation and modification times (4 + 4).
  if (timescale !== undefined) b.writeUInt32BE(timescale >>> 0, at + 16);
  if (duration !== undefined) b.writeUInt32BE(duration >>> 0, at + 20);
  return b;
}

/** An M4A whose sample table `box` (stts, stsc, stsz, stco) claims `count` entries. */
function forgeTable(m4a, box, count) {
  const b = Buffer.from(m4a);
  const at = b.indexOf(Buffer.from(box));
  // After the type: version and flags (4), then the count (stsz: a constant sample size first).
  b.writeUInt32BE(count >>> 0, box === 'stsz' ? at + 12 : at + 8);
  if (box === 'stsz') b.writeUInt32BE(0, at + 8);
  return b;
}

/** An MP3 whose Xing/Info tag claims `frames` frames. */
function forgeXing(mp3, frames) {
  const b = Buffer.from(mp3);
  let at = b.indexOf(Buffer.from('Xing'));
  if (at < 0) at = b.indexOf(Buffer.from('Info'));
  if (at < 0 || !(b.readUInt32BE(at + 4) & 1)) throw new Error('no Xing/Info frame count');
  b.writeUInt32BE(frames >>> 0, at + 8);
  return b;
}

// -- the cases ------------------------------------------------------------------------------------

async function ffmpeg(args) {
  await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 1 << 20 });
}

/** Random bytes from a fixed seed, so a failure can be replayed. */
function noise(n, seed) {
  const out = Buffer.alloc(n);
  let block = Buffer.alloc(0);
  for (let i = 0, k = 0; i < n; i++, k++) {
    if (k >= block.length) {
      block = crypto.createHash('sha256').update(`${seed}:${i}`).digest();
      k = 0;
    }
    out[i] = block[k];
  }
  return out;
}

/**
 * Writes every case into `dir` (which must exist) and returns the list. Takes about 10 s: the
 * 10-hour FLAC and the 1-hour MP3 are made by ffmpeg.
 */
export async function generateHostileAudio(dir) {
  const cases = [];
  const add = (name, bytes, expect, what, extra = {}) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    cases.push({ name, file, what, expect, kind: 'file', ...extra });
  };
  const sec = (s) => [s - 0.05, s + 0.05];

  // WAV: forged sample rates, channel counts and sample widths.
  add('wav-rate-0.wav', wav({ rate: 0, data: tone16(16000) }), ERRORS.rate(0), '32 KB WAV at 0 Hz (symphonia panicked: SIGABRT)');
  add('wav-rate-1.wav', wav({ rate: 1, data: tone16(256000) }), ERRORS.rate(1), '512 KB WAV at 1 Hz (asked for 16 GB)');
  add('wav-rate-7.wav', wav({ rate: 7, data: tone16(10000) }), ERRORS.rate(7), '20 KB WAV at 7 Hz (1400 s of audio, minutes of CPU)');
  add('wav-rate-999.wav', wav({ rate: 999, data: tone16(999) }), ERRORS.rate(999), 'just under the lowest rate');
  add('wav-rate-384001.wav', wav({ rate: 384001, data: tone16(16000) }), ERRORS.rate(384001), 'just over the highest rate');
  add('wav-rate-max.wav', wav({ rate: 0xffffffff, data: tone16(16000) }), ERRORS.rate(4294967295), 'rate 2^32-1 (the resampler table grew to 7 GB)');
  add('wav-rate-1000.wav', wav({ rate: 1000, data: tone16(2000) }), 'ok', 'the lowest rate, 2 s', { duration: sec(2) });
  add('wav-rate-384000.wav', wav({ rate: 384000, data: tone16(384000) }), 'ok', 'the highest rate, 1 s', { duration: sec(1) });
  add('wav-rate-44101.wav', wav({ rate: 44101, data: tone16(44101) }), 'ok', 'an odd rate (no small resampling period), 1 s', { duration: sec(1) });
  add('wav-channels-0.wav', wav({ channels: 0, blockAlign: 2, data: tone16(16000) }), /channel|not audio that can be decoded/, 'zero channels');
  add('wav-channels-65535.wav', wav({ channels: 65535, data: tone16(65535) }), /channel|not audio that can be decoded/, '65535 channels');
  add('wav-channels-33.wav', wav({ format: 3, channels: 33, bits: 32, data: Buffer.alloc(33 * 4 * 1600) }), /channel|not audio that can be decoded/, '33 channels');
  add('wav-bits-0.wav', wav({ bits: 0, blockAlign: 2, data: tone16(16000) }), /0 bits per sample is outside 1.64/, 'PCM with 0 bits per sample');
  // symphonia reads 8/16/24/32-bit integer PCM only; ffmpeg makes what it can of the rest.
  add('wav-bits-3.wav', wav({ bits: 3, blockAlign: 1, data: tone16(16000) }), 'any', 'PCM with 3 bits per sample');
  add('wav-bits-64.wav', wav({ bits: 64, data: tone16(16000) }), 'any', 'integer PCM with 64 bits per sample');
  add('wav-float64.wav', wav({ format: 3, bits: 64, data: Buffer.alloc(16000 * 8) }), 'ok', '64-bit float PCM (valid), 1 s', { duration: sec(1) });
  add('wav-block-align-0.wav', wav({ blockAlign: 0, data: tone16(16000) }), 'any', 'block align 0 (error or audio, never a crash)');
  add('wav-adpcm-bad-block.wav', wav({ format: 0x11, bits: 4, blockAlign: 1, channels: 2, extra: Buffer.from([2, 0, 0xf9, 0x01]), data: noise(4096, 'adpcm') }),
    'any', 'IMA ADPCM whose block is smaller than its header');
  add('wav-streamed.wav', wav({ dataLen: 0xffffffff, data: tone16(16000) }), 'ok', 'data length unset (as a pipe writes it), 1 s', { duration: sec(1) });
  add('wav-data-len-lie.wav', wav({ rate: 1000, bits: 8, dataLen: 18_000_000, data: Buffer.alloc(64000, 128) }), 'ok',
    'a data length claiming 5 h at 1 kHz on 64 s of data: the file size bounds it', { duration: sec(64) });
  add('wav-5h-1khz.wav', wav({ rate: 1000, bits: 8, data: Buffer.alloc(18_000_000, 128) }), ERRORS.tooLong, '5 real hours at 1 kHz, 8 bits (18 MB)');
  add('wav-truncated-header.wav', wav({ data: tone16(100) }).subarray(0, 30), ERRORS.undecodable, 'a WAV cut inside its fmt chunk');
  add('wav-random.wav', Buffer.concat([Buffer.from('RIFF\x00\x80\x00\x00WAVE', 'latin1'), noise(32768, 'wav')]), ERRORS.undecodable, 'RIFF/WAVE magic, then random bytes');

  // FLAC: the real 10-hour bomb, and a short file whose STREAMINFO is forged.
  const flac10h = path.join(dir, 'flac-10h-silence.flac');
  await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '36000', '-c:a', 'flac', '-frame_size', '65535', flac10h]);
  cases.push({ name: 'flac-10h-silence.flac', file: flac10h, kind: 'file', expect: ERRORS.tooLong, what: 'a real FLAC of 10 hours of silence (aborted at 4.5 GB)' });
  const mka10h = path.join(dir, 'mka-10h-silence.mka');
  await ffmpeg(['-i', flac10h, '-c', 'copy', mka10h]);
  cases.push({ name: 'mka-10h-silence.mka', file: mka10h, kind: 'file', expect: ERRORS.tooLong, what: 'the 10-hour FLAC in Matroska (symphonia finds the FLAC header inside)' });
  cases.push({ name: 'flac-10h-silence.flac (ffmpeg)', file: flac10h, kind: 'file', expect: ERRORS.tooLong, options: { decoder: 'ffmpeg' }, what: 'the 10-hour FLAC through ffmpeg: stopped at the limit' });
  const flac1s = path.join(dir, 'tmp-1s.flac');
  await ffmpeg(['-i', fixture('jfk.flac'), '-t', '1', '-ar', '16000', '-ac', '1', flac1s]);
  const flac = fs.readFileSync(flac1s);
  fs.rmSync(flac1s);
  add('flac-header-10h.flac', forgeStreaminfo(flac, { totalSamples: 16000 * 36000 }), ERRORS.tooLong, 'a 1 s FLAC whose STREAMINFO claims 10 hours');
  // Unknown length (0 is allowed): the cap holds while decoding, after the limit's worth of audio.
  add('flac-10h-no-length.flac', forgeStreaminfo(fs.readFileSync(flac10h), { totalSamples: 0 }), ERRORS.tooLong, 'the 10-hour FLAC with its length unset');
  // symphonia refuses rate 0; ffmpeg refuses it when it decodes on several threads and takes the
  // rate from the frame headers on one (taskset -c 0): a refusal or the second of audio it holds.
  add('flac-rate-0.flac', forgeStreaminfo(flac, { rate: 0 }), 'any', 'STREAMINFO rate 0', { duration: sec(1) });
  // symphonia gives up on it; ffmpeg takes the rate from the frame headers.
  add('flac-rate-1.flac', forgeStreaminfo(flac, { rate: 1 }), 'any', 'STREAMINFO rate 1 Hz');
  add('flac-truncated-header.flac', flac.subarray(0, 20), ERRORS.undecodable, 'a FLAC cut inside STREAMINFO');
  add('flac-random.flac', Buffer.concat([Buffer.from('fLaC'), noise(32768, 'flac')]), ERRORS.undecodable, 'fLaC magic, then random bytes');

  // OGG Vorbis: forged identification headers (page CRC fixed).
  const ogg1s = path.join(dir, 'tmp-1s.ogg');
  await ffmpeg(['-i', fixture('jfk.flac'), '-t', '1', '-c:a', 'libvorbis', ogg1s]);
  const ogg = fs.readFileSync(ogg1s);
  fs.rmSync(ogg1s);
  add('ogg-rate-max.ogg', forgeVorbis(ogg, { rate: 0xffffffff }), /sample rate 4294967295 Hz|not audio that can be decoded/, 'Vorbis at 2^32-1 Hz (7 GB resampler table)');
  add('ogg-rate-0.ogg', forgeVorbis(ogg, { rate: 0 }), /sample rate 0 Hz|not audio that can be decoded/, 'Vorbis at 0 Hz');
  add('ogg-rate-1.ogg', forgeVorbis(ogg, { rate: 1 }), /sample rate 1 Hz|not audio that can be decoded/, 'Vorbis at 1 Hz');
  add('ogg-channels-255.ogg', forgeVorbis(ogg, { channels: 255 }), /channel|not audio that can be decoded/, 'Vorbis with 255 channels');
  add('ogg-truncated-header.ogg', ogg.subarray(0, 40), ERRORS.undecodable, 'an OGG cut inside its first page');
  add('ogg-random.ogg', Buffer.concat([Buffer.from('OggS'), noise(32768, 'ogg')]), ERRORS.undecodable, 'OggS magic, then random bytes');

  // MP3 and M4A.
  const mp31s = path.join(dir, 'tmp-1s.mp3');
  await ffmpeg(['-i', fixture('jfk.flac'), '-t', '1', '-c:a', 'libmp3lame', mp31s]);
  const mp3 = fs.readFileSync(mp31s);
  fs.rmSync(mp31s);
  // A header that says too long is refused, even when the file holds less: checked before decoding.
  add('mp3-xing-huge.mp3', forgeXing(mp3, 0x7fffffff), ERRORS.tooLong, 'a 1 s MP3 whose Xing tag claims 2^31 frames');
  add('mp3-truncated-header.mp3', mp3.subarray(0, 3), ERRORS.undecodable, 'three bytes of an MP3');
  add('mp3-random.mp3', Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), noise(32768, 'mp3')]), ERRORS.undecodable, 'an MP3 frame header, then random bytes');
  const m4a1s = path.join(dir, 'tmp-1s.m4a');
  await ffmpeg(['-i', fixture('jfk.flac'), '-t', '1', '-c:a', 'aac', m4a1s]);
  const m4a = fs.readFileSync(m4a1s);
  fs.rmSync(m4a1s);
  // symphonia 0.5.5 panics on this one (TimeBase::new(0)): the panic is caught as the input's
  // fault ("the container reader failed on it"), and ffmpeg reads what it can (a frame or so).
  add('m4a-timescale-0.m4a', forgeMdhd(m4a, { timescale: 0 }), 'ok', 'an M4A whose mdhd timescale is 0 (a panic in symphonia, caught; ffmpeg reads it)', { duration: [0, 1.1] });
  add('m4a-duration-huge.m4a', forgeMdhd(m4a, { duration: 0xffffffff }), ERRORS.tooLong, 'an M4A whose mdhd duration is 2^32-1 (27 hours at 44.1 kHz)');
  // symphonia reserves count x entry bytes before reading a table: 32 GB aborted the process.
  for (const box of ['stts', 'stsc', 'stsz', 'stco']) {
    add(`m4a-${box}-huge.m4a`, forgeTable(m4a, box, 0xfffffff0), new RegExp(`MP4 ${box} table claims 4294967280 entries`), `an M4A whose ${box} claims 2^32-16 entries`);
  }
  add('m4a-truncated-header.m4a', m4a.subarray(0, 100), ERRORS.undecodable, 'an M4A cut after 100 bytes');
  add('m4a-random.m4a', Buffer.concat([m4a.subarray(0, 32), noise(32768, 'm4a')]), ERRORS.undecodable, 'an ftyp box, then random bytes');

  // No format at all.
  add('empty.wav', Buffer.alloc(0), ERRORS.empty, 'a zero-length file');
  add('random.bin', noise(65536, 'bin'), ERRORS.undecodable, '64 KB of random bytes');

  // Sizes: a byte cap from fstat, before reading.
  add('too-big.wav', wav({ data: tone16(16000) }), ERRORS.tooBig, 'a 32 KB WAV over a 16 KB maxAudioBytes', { options: { maxAudioBytes: 16384 } });

  // Within the cap: an hour of real speech (Arthur.mp3 over and over, no re-encoding).
  const list = path.join(dir, 'tmp-concat.txt');
  fs.writeFileSync(list, `file '${fixture('Arthur.mp3').replace(/'/g, "'\\''")}'\n`.repeat(16));
  const hour = path.join(dir, 'mp3-1h-speech.mp3');
  await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-t', '3600', '-c', 'copy', hour]);
  fs.rmSync(list);
  cases.push({ name: 'mp3-1h-speech.mp3', file: hour, kind: 'file', expect: 'ok', duration: [3599, 3601], long: true, what: 'an hour of real speech, 44.1 kHz stereo MP3' });

  // Paths that are not regular files.
  const fifo = path.join(dir, 'fifo.wav');
  fs.rmSync(fifo, { force: true }); // the directory may hold an earlier run's cases
  await run('mkfifo', [fifo]);
  cases.push({ name: 'fifo.wav', file: fifo, kind: 'special', expect: ERRORS.notFile, what: 'a FIFO with no writer (open() would block)' });
  const sub = path.join(dir, 'directory.wav');
  fs.mkdirSync(sub, { recursive: true });
  cases.push({ name: 'directory.wav', file: sub, kind: 'special', expect: ERRORS.notFile, what: 'a directory' });
  cases.push({ name: '/dev/zero', file: '/dev/zero', kind: 'special', expect: ERRORS.notFile, what: 'an endless character device (segfaulted at 7 GB)' });
  return cases;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: generate-audio.mjs <dir>');
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  const cases = await generateHostileAudio(dir);
  console.log(JSON.stringify(cases.map((c) => ({ ...c, expect: String(c.expect) })), null, 1));
}
