// Kaldi-style log-mel filterbank features (the input of the CAM++ speaker-embedding model), as
// Kaldi's compute-fbank computes them with its defaults: 25 ms frames every 10 ms (snip edges),
// DC offset removed, pre-emphasis 0.97, Povey window, 512-point power spectrum, 80 triangular mel
// bins from 20 Hz to Nyquist, natural log floored at float32 epsilon; no dither, no energy.
import type { Pauser } from './pause.js';

export const FBANK_BINS = 80;
export const FRAME_LENGTH = 400; // samples at 16 kHz (25 ms)
export const FRAME_SHIFT = 160; // samples at 16 kHz (10 ms)
const FFT_SIZE = 512;
const SAMPLE_RATE = 16000;
const PREEMPHASIS = 0.97;
const LOW_HZ = 20;
const EPS = 1.1920928955078125e-7;

const mel = (hz: number) => 1127 * Math.log(1 + hz / 700);

/** Kaldi's Povey window: a Hann window raised to 0.85. */
const WINDOW = Float64Array.from({ length: FRAME_LENGTH }, (_, i) => Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FRAME_LENGTH - 1)), 0.85));

/** Triangular mel filters over the FFT bins 0..255, as [bin][first, weights]. */
const MEL_FILTERS: Array<{ first: number; weights: Float64Array }> = (() => {
  const lo = mel(LOW_HZ);
  const hi = mel(SAMPLE_RATE / 2);
  const delta = (hi - lo) / (FBANK_BINS + 1);
  const binHz = SAMPLE_RATE / FFT_SIZE;
  const out = [];
  for (let m = 0; m < FBANK_BINS; m++) {
    const left = lo + m * delta;
    const center = left + delta;
    const right = center + delta;
    const w: number[] = [];
    let first = -1;
    for (let k = 0; k < FFT_SIZE / 2; k++) {
      const f = mel(k * binHz);
      const v = Math.max(0, Math.min((f - left) / (center - left), (right - f) / (right - center)));
      if (v > 0) {
        if (first < 0) first = k;
        w[k - first] = v;
      } else if (first >= 0 && w.length) {
        w[k - first] = 0;
      }
    }
    while (w.length && w[w.length - 1] === 0) w.pop();
    out.push({ first: Math.max(first, 0), weights: Float64Array.from(w) });
  }
  return out;
})();

const BIT_REVERSE = (() => {
  const bits = Math.log2(FFT_SIZE);
  return Uint16Array.from({ length: FFT_SIZE }, (_, i) => {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    return r;
  });
})();
const COS = Float64Array.from({ length: FFT_SIZE / 2 }, (_, i) => Math.cos((-2 * Math.PI * i) / FFT_SIZE));
const SIN = Float64Array.from({ length: FFT_SIZE / 2 }, (_, i) => Math.sin((-2 * Math.PI * i) / FFT_SIZE));

/** In-place iterative radix-2 FFT of (re, im), length FFT_SIZE. */
function fft(re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < FFT_SIZE; i++) {
    const j = BIT_REVERSE[i];
    if (j > i) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= FFT_SIZE; size <<= 1) {
    const half = size >> 1;
    const step = FFT_SIZE / size;
    for (let start = 0; start < FFT_SIZE; start += size) {
      for (let k = 0; k < half; k++) {
        const c = COS[k * step];
        const s = SIN[k * step];
        const a = start + k;
        const b = a + half;
        const tr = re[b] * c - im[b] * s;
        const ti = re[b] * s + im[b] * c;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Number of fbank frames of `samples` samples. */
export function fbankFrameCount(samples: number): number {
  return samples < FRAME_LENGTH ? 0 : 1 + Math.floor((samples - FRAME_LENGTH) / FRAME_SHIFT);
}

/** Log-mel fbank of 16 kHz mono audio, row-major [frames, 80] (not mean-normalized). */
export function fbank(audio: Float32Array): Float32Array {
  const frames = fbankFrameCount(audio.length);
  const out = new Float32Array(frames * FBANK_BINS);
  fbankFrames(audio, out, 0, frames, scratch());
  return out;
}

/** fbank() that lets the event loop in (and stops when aborted) as it goes, for long recordings. */
export async function fbankPausing(audio: Float32Array, pauser: Pauser): Promise<Float32Array> {
  const frames = fbankFrameCount(audio.length);
  const out = new Float32Array(frames * FBANK_BINS);
  const buffers = scratch();
  // 256 frames (2.56 s of audio) between two looks at the clock.
  for (let t = 0; t < frames; t += 256) {
    fbankFrames(audio, out, t, Math.min(frames, t + 256), buffers);
    if (pauser.due()) await pauser.pause();
  }
  return out;
}

interface Scratch {
  re: Float64Array;
  im: Float64Array;
  power: Float64Array;
}

const scratch = (): Scratch => ({ re: new Float64Array(FFT_SIZE), im: new Float64Array(FFT_SIZE), power: new Float64Array(FFT_SIZE / 2) });

/** The fbank rows [from, to) of `audio` into `out`. */
function fbankFrames(audio: Float32Array, out: Float32Array, from: number, to: number, { re, im, power }: Scratch): void {
  for (let t = from; t < to; t++) {
    const at = t * FRAME_SHIFT;
    let mean = 0;
    for (let i = 0; i < FRAME_LENGTH; i++) mean += audio[at + i];
    mean /= FRAME_LENGTH;
    let prev = audio[at] - mean;
    re.fill(0);
    im.fill(0);
    re[0] = (prev - PREEMPHASIS * prev) * WINDOW[0];
    for (let i = 1; i < FRAME_LENGTH; i++) {
      const x = audio[at + i] - mean;
      re[i] = (x - PREEMPHASIS * prev) * WINDOW[i];
      prev = x;
    }
    fft(re, im);
    for (let k = 0; k < FFT_SIZE / 2; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    for (let m = 0; m < FBANK_BINS; m++) {
      const { first, weights } = MEL_FILTERS[m];
      let e = 0;
      for (let j = 0; j < weights.length; j++) e += weights[j] * power[first + j];
      out[t * FBANK_BINS + m] = Math.log(Math.max(e, EPS));
    }
  }
}

/** The rows `rows` of a [frames, 80] fbank, gathered and mean-normalized (per bin). */
export function gatherNormalized(features: Float32Array, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * FBANK_BINS);
  const mean = new Float64Array(FBANK_BINS);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r] * FBANK_BINS;
    for (let m = 0; m < FBANK_BINS; m++) {
      const v = features[src + m];
      out[r * FBANK_BINS + m] = v;
      mean[m] += v;
    }
  }
  if (rows.length) for (let m = 0; m < FBANK_BINS; m++) mean[m] /= rows.length;
  for (let r = 0; r < rows.length; r++) for (let m = 0; m < FBANK_BINS; m++) out[r * FBANK_BINS + m] -= mean[m];
  return out;
}
