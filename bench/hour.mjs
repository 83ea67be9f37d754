// The benches' one-hour input: the English fixtures (Arthur, NM014, gettysburg, jfk) one after
// another, as many times as it takes, as 16 kHz mono 16-bit samples (bench/run.mjs reads them
// raw, bench/profile.mjs as a WAV file).
import fs from 'node:fs';

export const HOUR_SOURCES = ['Arthur.mp3', 'NM014.mp3', 'gettysburg.wav', 'jfk.flac'];
const BYTES = 3600 * 16000 * 2;

/** The hour's samples; `samplesOf(name)` is the path of a fixture's 16 kHz 16-bit samples. */
export function hourOfPcm(samplesOf) {
  const parts = HOUR_SOURCES.map((n) => fs.readFileSync(samplesOf(n)));
  const pcm = Buffer.alloc(BYTES);
  for (let at = 0, i = 0; at < BYTES; i++) at += parts[i % parts.length].copy(pcm, at);
  return pcm;
}

/** A WAV header for `bytes` bytes of 16 kHz mono 16-bit PCM. */
export function wavHeader(bytes) {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + bytes, 4); h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24); h.writeUInt32LE(32000, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write('data', 36); h.writeUInt32LE(bytes, 40);
  return h;
}
