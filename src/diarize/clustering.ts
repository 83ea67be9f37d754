// Agglomerative clustering of speaker embeddings, average linkage on cosine similarity: the two
// closest clusters are merged while their similarity is at least the threshold, and always while
// there are more than maxSpeakers clusters; never below minSpeakers.
import { cosine, normalize } from './embedding.js';
import { Pauser } from './pause.js';

export interface ClusteringOptions {
  /** Average cosine similarity at or above which two clusters are one speaker. */
  threshold: number;
  minSpeakers: number;
  maxSpeakers: number;
}

/**
 * Cluster index of each embedding (0..k-1, in order of first member). The work is O(n²) to O(n³)
 * in JavaScript: it lets the event loop in as it goes (`pauser`).
 */
export async function cluster(vectors: Float32Array[], opts: ClusteringOptions, pauser = new Pauser()): Promise<number[]> {
  const n = vectors.length;
  if (n === 0) return [];
  // sim[i][j]: average similarity between clusters i and j (kept for live clusters only).
  const sim: Float32Array[] = [];
  for (const a of vectors) {
    sim.push(Float32Array.from(vectors, (b) => cosine(a, b)));
    if (pauser.due()) await pauser.pause();
  }
  const size = new Array<number>(n).fill(1);
  const alive = new Array<boolean>(n).fill(true);
  const parent = Array.from({ length: n }, (_, i) => i);
  const best = new Array<number>(n).fill(-1);
  const rowBest = (i: number) => {
    let b = -1;
    for (let j = 0; j < n; j++) if (j !== i && alive[j] && (b < 0 || sim[i][j] > sim[i][b])) b = j;
    best[i] = b;
  };
  for (let i = 0; i < n; i++) rowBest(i);
  let count = n;
  while (count > 1) {
    if (pauser.due()) await pauser.pause();
    let a = -1;
    for (let i = 0; i < n; i++) if (alive[i] && best[i] >= 0 && (a < 0 || sim[i][best[i]] > sim[a][best[a]])) a = i;
    if (a < 0) break;
    const b = best[a];
    const s = sim[a][b];
    const merge = count > opts.maxSpeakers || (s >= opts.threshold && count > opts.minSpeakers);
    if (!merge) break;
    // Lance-Williams update for average linkage: b is folded into a.
    for (let k = 0; k < n; k++) {
      if (!alive[k] || k === a || k === b) continue;
      const v = (size[a] * sim[a][k] + size[b] * sim[b][k]) / (size[a] + size[b]);
      sim[a][k] = v;
      sim[k][a] = v;
    }
    size[a] += size[b];
    alive[b] = false;
    parent[b] = a;
    count--;
    rowBest(a);
    for (let k = 0; k < n; k++) if (alive[k] && k !== a && (best[k] === a || best[k] === b || sim[k][a] > sim[k][best[k]])) rowBest(k);
  }
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i])));
  const ids = new Map<number, number>();
  return vectors.map((_, i) => {
    const r = root(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    return ids.get(r)!;
  });
}

/** Mean direction of each cluster's members (normalized). */
export function centroids(vectors: Float32Array[], labels: number[]): Float32Array[] {
  const k = labels.reduce((m, l) => Math.max(m, l + 1), 0);
  const sums = Array.from({ length: k }, () => new Float32Array(vectors[0]?.length ?? 0));
  labels.forEach((l, i) => vectors[i].forEach((v, d) => (sums[l][d] += v)));
  return sums.map(normalize);
}

export interface SpeakerClusteringOptions extends ClusteringOptions {
  /** Clean frames (speech alone, 10 ms each) an embedding needs to take part in the clustering itself. */
  minCleanFrames: number;
  /** Clusters with fewer members than this are folded into the most similar larger one (scaled down on short recordings). */
  minClusterSize: number;
}

/**
 * The speaker of each local embedding: the embeddings of enough clean speech are clustered (average
 * linkage at the threshold, within min/maxSpeakers), clusters too small to be a speaker of a long
 * recording are folded into the nearest large one (by centroid), and the other embeddings (short or
 * overlapped speech) go to the nearest centroid. Labels 0..k-1 in order of first member.
 */
export async function clusterSpeakers(
  local: Array<{ vector: Float32Array; clean: number }>,
  opts: SpeakerClusteringOptions,
  pauser = new Pauser(),
): Promise<number[]> {
  const n = local.length;
  if (n === 0) return [];
  let train = local.map((_, i) => i).filter((i) => local[i].clean >= opts.minCleanFrames);
  if (train.length < Math.max(2, Math.min(opts.minSpeakers, n))) train = local.map((_, i) => i);
  const vectors = train.map((i) => local[i].vector);
  let labels = await cluster(vectors, { ...opts, minSpeakers: Math.min(opts.minSpeakers, vectors.length) }, pauser);
  // Small clusters: the smallest first, each into the most similar cluster of at least minClusterSize
  // members, while there are more clusters than minSpeakers.
  const minSize = Math.min(opts.minClusterSize, Math.max(1, Math.round(0.1 * vectors.length)));
  for (;;) {
    const k = labels.reduce((m, l) => Math.max(m, l + 1), 0);
    if (k <= Math.max(1, opts.minSpeakers)) break;
    const size = new Array<number>(k).fill(0);
    labels.forEach((l) => size[l]++);
    const large = size.map((s, c) => (s >= minSize ? c : -1)).filter((c) => c >= 0);
    const small = size.map((s, c) => (s < minSize ? c : -1)).filter((c) => c >= 0).sort((a, b) => size[a] - size[b]);
    if (!small.length || !large.length) break;
    if (pauser.due()) await pauser.pause();
    const centres = centroids(vectors, labels);
    const c = small[0];
    let into = large[0];
    for (const l of large) if (cosine(centres[c], centres[l]) > cosine(centres[c], centres[into])) into = l;
    labels = relabel(labels.map((l) => (l === c ? into : l)));
  }
  const centres = centroids(vectors, labels);
  const out = new Array<number>(n).fill(-1);
  train.forEach((i, j) => (out[i] = labels[j]));
  for (let i = 0; i < n; i++) {
    if (out[i] >= 0) continue;
    let best = 0;
    for (let c = 1; c < centres.length; c++) if (cosine(local[i].vector, centres[c]) > cosine(local[i].vector, centres[best])) best = c;
    out[i] = best;
  }
  return relabel(out);
}

/** Labels renumbered 0..k-1 in order of first appearance. */
function relabel(labels: number[]): number[] {
  const ids = new Map<number, number>();
  return labels.map((l) => {
    if (!ids.has(l)) ids.set(l, ids.size);
    return ids.get(l)!;
  });
}
