// Clustering of speaker embeddings into the recording's speakers: spectral clustering with the
// eigen-gap count (spectral.ts) when there are enough embeddings, and agglomerative clustering
// (average linkage on cosine similarity: the two closest clusters are merged while their
// similarity is at least the threshold, and always while there are more than maxSpeakers clusters;
// never below minSpeakers) for few; then small clusters folded and near-identical speakers merged.
// In TypeScript: the matrices are at most a few hundred wide (bench/DIARIZE.md says why that is
// enough), so this is a small share of the time, and the options and their bounds stay in one place.
import { cosine, normalize } from './embedding.js';
import { Pauser } from './pause.js';
import { spectralCluster } from './spectral.js';

/**
 * Windows in which the segmentation model heard two speakers as different local speakers (and
 * never as one) for that to keep them apart (tuned: 1 kept one more count right than 2).
 */
export const MIN_APART = 1;

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
  /** Fewest clustered embeddings for the spectral method; fewer are clustered by average linkage at `threshold`. */
  minSpectral?: number;
  /** Most embeddings the spectral method decomposes; of more, that many spread over the recording are, and the others join the nearest speaker. */
  maxSpectral?: number;
  /** Spectral: share of the embeddings kept as each one's neighbours. */
  pval?: number;
  /** Spectral: fewest neighbours kept per embedding. */
  minNeighbours?: number;
  /**
   * Two speakers are one when the mean similarity between their embeddings is at least this share
   * of the mean similarity within them (geometric mean of the two; while above minSpeakers).
   */
  mergeRatio?: number;
}

/**
 * The speaker of each embedding: the embeddings of enough clean speech are clustered, by spectral
 * clustering with the count from the eigen-gap (spectral.ts) when there are at least minSpectral
 * of them, else by average linkage at the threshold; within min/maxSpeakers. Then clusters too
 * small to be a speaker are folded into the nearest large one and speakers as alike between as
 * within, never heard apart by the segmentation model, are merged (mergeRatio; never below
 * minSpeakers), and the other embeddings (short or overlapped speech) go to the nearest centroid.
 * Labels 0..k-1 in order of first member.
 */
export async function clusterSpeakers(
  local: Array<{ vector: Float32Array; clean: number; window?: number; speaker?: number }>,
  opts: SpeakerClusteringOptions,
  pauser = new Pauser(),
): Promise<number[]> {
  const n = local.length;
  if (n === 0) return [];
  let train = local.map((_, i) => i).filter((i) => local[i].clean >= opts.minCleanFrames);
  if (train.length < Math.max(2, Math.min(opts.minSpeakers, n))) train = local.map((_, i) => i);
  const vectors = train.map((i) => local[i].vector);
  const minSpeakers = Math.min(opts.minSpeakers, vectors.length);
  let labels: number[];
  if (vectors.length < (opts.minSpectral ?? Infinity)) {
    labels = await cluster(vectors, { ...opts, minSpeakers }, pauser);
  } else {
    labels = await spectralSubset(vectors, { ...opts, minSpeakers }, pauser);
  }
  labels = await foldSmall(vectors, labels, opts.minClusterSize, minSpeakers, pauser);
  if (opts.mergeRatio !== undefined) {
    const apart = apartCounts(local, nearest(local.map((l) => l.vector), train, labels));
    labels = await mergeLinked(vectors, labels, { ratio: opts.mergeRatio, apart, minSpeakers }, pauser);
  }
  return relabel(nearest(local.map((l) => l.vector), train, labels));
}

/** Spectral clustering of at most maxSpectral of the vectors (spread evenly), the rest by nearest centroid. */
async function spectralSubset(vectors: Float32Array[], opts: SpeakerClusteringOptions, pauser: Pauser): Promise<number[]> {
  const max = opts.maxSpectral ?? Infinity;
  const chosen = vectors.length <= max ? vectors.map((_, i) => i) : Array.from({ length: max }, (_, i) => Math.floor((i * vectors.length) / max));
  const spectral = { minSpeakers: opts.minSpeakers, maxSpeakers: opts.maxSpeakers, pval: opts.pval ?? 0.012, minNeighbours: opts.minNeighbours ?? 6 };
  const { labels } = await spectralCluster(chosen.map((i) => vectors[i]), spectral, pauser);
  return nearest(vectors, chosen, labels);
}

/** Labels for all `vectors`: those of `chosen` as given, the others the label of the nearest centroid. */
function nearest(vectors: Float32Array[], chosen: number[], labels: number[]): number[] {
  const centres = centroids(chosen.map((i) => vectors[i]), labels);
  const out = new Array<number>(vectors.length).fill(-1);
  chosen.forEach((i, j) => (out[i] = labels[j]));
  for (let i = 0; i < vectors.length; i++) {
    if (out[i] >= 0) continue;
    let best = 0;
    for (let c = 1; c < centres.length; c++) if (cosine(vectors[i], centres[c]) > cosine(vectors[i], centres[best])) best = c;
    out[i] = best;
  }
  return out;
}

/** Small clusters, the smallest first, each into the most similar cluster of at least minClusterSize members (scaled down on short recordings). */
async function foldSmall(vectors: Float32Array[], labels: number[], minClusterSize: number, minSpeakers: number, pauser: Pauser): Promise<number[]> {
  const minSize = Math.min(minClusterSize, Math.max(1, Math.round(0.1 * vectors.length)));
  for (;;) {
    const k = labels.reduce((m, l) => Math.max(m, l + 1), 0);
    if (k <= Math.max(1, minSpeakers)) return labels;
    const size = new Array<number>(k).fill(0);
    labels.forEach((l) => size[l]++);
    const large = size.map((s, c) => (s >= minSize ? c : -1)).filter((c) => c >= 0);
    const small = size.map((s, c) => (s < minSize ? c : -1)).filter((c) => c >= 0).sort((a, b) => size[a] - size[b]);
    if (!small.length || !large.length) return labels;
    if (pauser.due()) await pauser.pause();
    const centres = centroids(vectors, labels);
    const c = small[0];
    let into = large[0];
    for (const l of large) if (cosine(centres[c], centres[l]) > cosine(centres[c], centres[into])) into = l;
    labels = relabel(labels.map((l) => (l === c ? into : l)));
  }
}

/**
 * Sums of the similarities between the members of every two clusters (k × k; the diagonal without
 * each member's similarity to itself) and the cluster sizes.
 */
async function linkSums(vectors: Float32Array[], labels: number[], pauser: Pauser) {
  const k = labels.reduce((m, l) => Math.max(m, l + 1), 0);
  const sum = Array.from({ length: k }, () => new Float64Array(k));
  const size = new Array<number>(k).fill(0);
  labels.forEach((l) => size[l]++);
  for (let i = 0; i < vectors.length; i++) {
    if (pauser.due()) await pauser.pause();
    for (let j = i + 1; j < vectors.length; j++) {
      const s = cosine(vectors[i], vectors[j]);
      sum[labels[i]][labels[j]] += s;
      if (labels[i] !== labels[j]) sum[labels[j]][labels[i]] += s;
    }
  }
  return { sum, size };
}

/**
 * For every two speakers, the windows in which the segmentation model heard them as different local
 * speakers, and never as the same one: its evidence that they are two voices (k × k, symmetric).
 * Embeddings without a window count nowhere.
 */
function apartCounts(local: Array<{ window?: number; speaker?: number }>, labels: number[]): number[][] {
  const k = labels.reduce((m, l) => Math.max(m, l + 1), 0);
  const apart = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const byWindow = new Map<number, Map<number, Set<number>>>();
  local.forEach((l, i) => {
    if (l.window === undefined || l.speaker === undefined) return;
    const speakers = byWindow.get(l.window) ?? new Map<number, Set<number>>();
    byWindow.set(l.window, speakers);
    const locals = speakers.get(labels[i]) ?? new Set<number>();
    speakers.set(labels[i], locals.add(l.speaker));
  });
  for (const speakers of byWindow.values()) {
    const present = [...speakers.keys()];
    for (const a of present) {
      for (const b of present) {
        if (a >= b) continue;
        const shared = [...speakers.get(a)!].some((x) => speakers.get(b)!.has(x));
        if (!shared) apart[a][b] = ++apart[b][a];
      }
    }
  }
  return apart;
}

/**
 * Speakers merged while the two most alike by normalized average linkage (mean similarity between
 * their members over the geometric mean of the mean similarities within each) are at least
 * `ratio` alike, and there are more than minSpeakers. One voice split in two has about the same
 * similarity between its halves as within them; two voices have clearly less. A cluster of one
 * member, which has no similarity within, takes the mean of the others' (weighted by pairs). Two
 * speakers the segmentation model heard apart in MIN_APART windows (`apart`) are never merged.
 */
async function mergeLinked(vectors: Float32Array[], labels: number[], o: { ratio: number; apart: number[][]; minSpeakers: number }, pauser: Pauser): Promise<number[]> {
  const { ratio, apart, minSpeakers } = o;
  const { sum, size } = await linkSums(vectors, labels, pauser);
  const k = size.length;
  const alive = size.map(() => true);
  const parent = size.map((_, c) => c);
  const pairs = (c: number) => (size[c] * (size[c] - 1)) / 2;
  for (let count = k; count > Math.max(1, minSpeakers); count--) {
    const live = size.map((_, c) => c).filter((c) => alive[c]);
    const allPairs = live.reduce((a, c) => a + pairs(c), 0);
    const typical = allPairs ? live.reduce((a, c) => a + sum[c][c], 0) / allPairs : 1;
    const within = (c: number) => Math.max(0.05, size[c] > 1 ? sum[c][c] / pairs(c) : typical);
    let best = -Infinity;
    let pair = [0, 0];
    for (const a of live) {
      for (const b of live) {
        if (b <= a || apart[a][b] >= MIN_APART) continue;
        const r = sum[a][b] / (size[a] * size[b]) / Math.sqrt(within(a) * within(b));
        if (r > best) [best, pair] = [r, [a, b]];
      }
    }
    if (best < ratio) break;
    const [a, b] = pair;
    sum[a][a] += sum[b][b] + sum[a][b];
    for (const c of live) {
      if (c === a || c === b) continue;
      sum[a][c] = sum[c][a] = sum[a][c] + sum[b][c];
      apart[a][c] = apart[c][a] = apart[a][c] + apart[b][c];
    }
    size[a] += size[b];
    alive[b] = false;
    parent[b] = a;
  }
  const root = (c: number): number => (parent[c] === c ? c : root(parent[c]));
  return relabel(labels.map(root));
}

/** Labels renumbered 0..k-1 in order of first appearance. */
function relabel(labels: number[]): number[] {
  const ids = new Map<number, number>();
  return labels.map((l) => {
    if (!ids.has(l)) ids.set(l, ids.size);
    return ids.get(l)!;
  });
}
