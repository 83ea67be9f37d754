// Local speaker activity with pyannote segmentation-3.0 over sliding 10 s windows. The model gives,
// for each of its frames (every 270 samples, 16.9 ms), log-probabilities over 7 "powerset" classes:
// no speaker, one of three local speakers, or one of the three pairs; decoding takes the most
// likely class and turns it into three binary activities.
import type { OrtSession } from '../onnx-session.js';

export const WINDOW_SAMPLES = 160_000; // 10 s at 16 kHz
export const FRAME_STEP = 270; // samples between two model frames (SincNet's strides)
export const FRAME_SIZE = 991; // samples one frame sees (receptive field)
export const FRAMES_PER_WINDOW = 589;
export const LOCAL_SPEAKERS = 3;
/** Powerset classes of segmentation-3.0 (3 speakers, at most 2 at once) as speaker sets. */
const POWERSET: number[][] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2]];
/** Windows per segmentation run: each run blocks the event loop (onnxruntime-node runs on the main thread), about 70 ms a window here. */
const BATCH = 2;

export interface WindowActivity {
  /** First sample of the window in the recording. */
  start: number;
  /** [frame][speaker] activities (0/1), row-major FRAMES_PER_WINDOW × LOCAL_SPEAKERS. */
  active: Uint8Array;
}

/** Window starts: every `stepSamples`, the last window flush with the end (or one zero-padded window). */
export function windowStarts(samples: number, stepSamples: number): number[] {
  if (samples <= WINDOW_SAMPLES) return [0];
  const starts: number[] = [];
  for (let s = 0; s + WINDOW_SAMPLES < samples; s += stepSamples) starts.push(s);
  starts.push(samples - WINDOW_SAMPLES);
  return starts;
}

/** Runs segmentation over every window (in batches); calls `onWindow` as windows are done. */
export async function segment(
  audio: Float32Array,
  stepSamples: number,
  { ort, session }: OrtSession,
  check: () => void,
): Promise<WindowActivity[]> {
  const starts = windowStarts(audio.length, stepSamples);
  const out: WindowActivity[] = [];
  for (let b = 0; b < starts.length; b += BATCH) {
    check();
    const batch = starts.slice(b, b + BATCH);
    const input = new Float32Array(batch.length * WINDOW_SAMPLES);
    batch.forEach((s, i) => input.set(audio.subarray(s, Math.min(s + WINDOW_SAMPLES, audio.length)), i * WINDOW_SAMPLES));
    const result = await session.run({ waveform: new ort.Tensor('float32', input, [batch.length, 1, WINDOW_SAMPLES]) });
    const lp = result.log_probs.data as Float32Array;
    const frames = result.log_probs.dims[1];
    batch.forEach((start, i) => {
      const active = new Uint8Array(FRAMES_PER_WINDOW * LOCAL_SPEAKERS);
      for (let f = 0; f < Math.min(frames, FRAMES_PER_WINDOW); f++) {
        const row = (i * frames + f) * POWERSET.length;
        let best = 0;
        for (let k = 1; k < POWERSET.length; k++) if (lp[row + k] > lp[row + best]) best = k;
        for (const spk of POWERSET[best]) active[f * LOCAL_SPEAKERS + spk] = 1;
      }
      out.push({ start, active });
    });
  }
  return out;
}
