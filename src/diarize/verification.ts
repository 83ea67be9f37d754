// Speaker verification: each speaker sample is embedded whole, and the diarization's speakers are
// matched to the samples by cosine similarity (best pairs first, one sample per speaker); a
// speaker matched above the threshold takes the sample's name.
import { cosine } from './embedding.js';

export interface SpeakerMatch {
  /** Index of the matched sample, or -1. */
  sample: number;
  similarity: number;
}

/** For each speaker centroid, the sample it matches (greedy on the similarity, above `threshold`). */
export function matchSpeakers(centroids: Float32Array[], samples: Float32Array[], threshold: number): SpeakerMatch[] {
  const pairs: Array<{ s: number; k: number; sim: number }> = [];
  centroids.forEach((c, s) => samples.forEach((e, k) => pairs.push({ s, k, sim: cosine(c, e) })));
  pairs.sort((a, b) => b.sim - a.sim);
  // Each speaker's best similarity to any sample is reported, matched or not.
  const out: SpeakerMatch[] = centroids.map((c) => ({ sample: -1, similarity: Math.max(-1, ...samples.map((e) => cosine(c, e))) }));
  const usedSample = new Set<number>();
  for (const { s, k, sim } of pairs) {
    if (sim < threshold) break;
    if (out[s].sample >= 0 || usedSample.has(k)) continue;
    out[s] = { sample: k, similarity: sim };
    usedSample.add(k);
  }
  return out;
}
