// Kaldi-style log-mel filterbank features (the input of the CAM++ speaker-embedding model), as
// Kaldi's compute-fbank computes them with its defaults: 25 ms frames every 10 ms (snip edges),
// DC offset removed, pre-emphasis 0.97, Povey window, 512-point power spectrum, 80 triangular mel
// bins from 20 Hz to Nyquist, natural log floored at float32 epsilon; no dither, no energy.
// Computed by the addon (native/src/onnx/fbank.rs); a recording's features stay in native memory
// (FbankFeatures), where the embeddings read them (embedding.ts).
import { native, type FbankFeatures } from '../native.js';
import { onnxCall } from '../onnx-models.js';
import type { Pauser } from './pause.js';

export type { FbankFeatures };
export const FBANK_BINS = 80;
export const FRAME_LENGTH = 400; // samples at 16 kHz (25 ms)
export const FRAME_SHIFT = 160; // samples at 16 kHz (10 ms)

/** Number of fbank frames of `samples` samples. */
export function fbankFrameCount(samples: number): number {
  return samples < FRAME_LENGTH ? 0 : 1 + Math.floor((samples - FRAME_LENGTH) / FRAME_SHIFT);
}

/** The fbank of 16 kHz mono audio, kept in native memory, computed off the JS thread on `threads` threads. */
export function fbankFeatures(audio: Float32Array, threads = 1, signal?: AbortSignal): Promise<FbankFeatures> {
  return onnxCall(signal, (control) => native().computeFbank(audio, threads, control));
}

/** Log-mel fbank of 16 kHz mono audio, row-major [frames, 80] (not mean-normalized), computed on this thread: for short clips. */
export function fbank(audio: Float32Array): Float32Array {
  return native().computeFbankSync(audio).toArray();
}

/** fbank() off the JS thread (the event loop runs meanwhile), stopped by the pauser's signal. */
export async function fbankPausing(audio: Float32Array, pauser: Pauser): Promise<Float32Array> {
  pauser.check();
  return (await fbankFeatures(audio, 1, pauser.signal)).toArray();
}
