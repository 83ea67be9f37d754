// Streaming conversion of the PCM a live session receives to the engine's 16 kHz float samples:
// PCM16 little-endian to float, and 24 kHz (OpenAI's rate) or 8 kHz to 16 kHz by windowed-sinc
// interpolation, its state carried from chunk to chunk so that chunk boundaries leave no seam.
import { SAMPLE_RATE } from '../audio.js';

/** The input rates a live session takes. */
export const LIVE_INPUT_RATES = [8000, 16000, 24000] as const;
export type LiveInputRate = (typeof LIVE_INPUT_RATES)[number];

/** PCM16 little-endian bytes as float samples in [-1, 1) (an odd trailing byte is ignored). */
export function pcm16ToFloat(bytes: Uint8Array): Float32Array {
  const n = bytes.length >> 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

const HALF_TAPS = 16;

/** Lanczos-windowed sinc with cutoff `fc` (a fraction of the input rate's Nyquist). */
function kernel(x: number, fc: number): number {
  if (Math.abs(x) >= HALF_TAPS) return 0;
  const sinc = (v: number) => (v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v));
  return fc * sinc(fc * x) * sinc(x / HALF_TAPS);
}

/** Converts a stream at `rate` to 16 kHz, chunk by chunk. */
export class Resampler {
  private readonly step: number;
  private readonly fc: number;
  /** Input samples kept from earlier chunks (the kernel's reach), and the input index of the first. */
  private held = new Float32Array(0);
  private heldStart = 0;
  /** The next output sample's position, in input samples. */
  private next = 0;

  constructor(readonly rate: number) {
    this.step = rate / SAMPLE_RATE;
    this.fc = Math.min(1, SAMPLE_RATE / rate);
  }

  push(input: Float32Array): Float32Array {
    if (this.rate === SAMPLE_RATE) return input.slice();
    const all = new Float32Array(this.held.length + input.length);
    all.set(this.held);
    all.set(input, this.held.length);
    const end = this.heldStart + all.length; // input samples seen
    const out: number[] = [];
    // An output sample is made once the kernel's right half has arrived.
    while (this.next + HALF_TAPS < end) {
      const c = this.next;
      const lo = Math.max(0, Math.ceil(c - HALF_TAPS));
      const hi = Math.floor(c + HALF_TAPS);
      let acc = 0;
      for (let j = lo; j <= hi; j++) {
        const k = j - this.heldStart;
        if (k >= 0 && k < all.length) acc += all[k] * kernel(c - j, this.fc);
      }
      out.push(acc);
      this.next += this.step;
    }
    const keepFrom = Math.max(this.heldStart, Math.floor(this.next - HALF_TAPS) - 1);
    this.held = all.slice(keepFrom - this.heldStart);
    this.heldStart = keepFrom;
    return Float32Array.from(out);
  }
}
