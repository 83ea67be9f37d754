// Scores for the diarization evaluation: DER on 10 ms frames, no collar, overlapped speech scored
// (each speaker in a frame counts), with the best one-to-one mapping of hypothesis speakers to
// reference speakers (Hungarian algorithm on the frames they share); and the share of transcript
// segments whose speaker (as assignSpeakers gives it from the hypothesis turns) is, through that
// mapping, the reference speaker who speaks most within the segment.

const STEP = 0.01;

function activity(turns, frames) {
  const names = [...new Set(turns.map((x) => x.speaker))];
  const rows = names.map(() => new Uint8Array(frames));
  for (const x of turns) {
    const row = rows[names.indexOf(x.speaker)];
    for (let f = Math.max(0, Math.floor(x.start / STEP)); f < Math.min(frames, Math.ceil(x.end / STEP)); f++) row[f] = 1;
  }
  return { names, rows };
}

/** Maximum-weight one-to-one assignment of rows to columns (Hungarian, on a padded square matrix). */
export function bestAssignment(weight) {
  const n = Math.max(weight.length, weight[0]?.length ?? 0);
  if (!n) return [];
  const max = Math.max(0, ...weight.flat());
  const cost = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => max - (weight[i]?.[j] ?? 0)));
  const u = new Array(n + 1).fill(0);
  const v = new Array(n + 1).fill(0);
  const p = new Array(n + 1).fill(0);
  const way = new Array(n + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array(n + 1).fill(Infinity);
    const used = new Array(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  // row i -> column (or -1 when it is a padding column or shares nothing).
  const out = new Array(weight.length).fill(-1);
  for (let j = 1; j <= n; j++) if (p[j] - 1 < weight.length && j - 1 < (weight[0]?.length ?? 0) && weight[p[j] - 1][j - 1] > 0) out[p[j] - 1] = j - 1;
  return out;
}

/** DER and its parts (seconds), and the mapping hypothesis speaker -> reference speaker. */
export function der(reference, hypothesis) {
  const end = Math.max(0, ...reference.map((r) => r.end), ...hypothesis.map((h) => h.end));
  const frames = Math.ceil(end / STEP);
  const ref = activity(reference, frames);
  const hyp = activity(hypothesis, frames);
  const co = ref.rows.map((r) => hyp.rows.map((h) => r.reduce((a, x, f) => a + (x & h[f]), 0)));
  const assign = bestAssignment(co);
  let correct = 0;
  const mapping = {};
  assign.forEach((j, i) => {
    if (j < 0) return;
    correct += co[i][j];
    mapping[hyp.names[j]] = ref.names[i];
  });
  let missed = 0, falseAlarm = 0, overlapMin = 0, total = 0;
  for (let f = 0; f < frames; f++) {
    let r = 0, h = 0;
    for (const row of ref.rows) r += row[f];
    for (const row of hyp.rows) h += row[f];
    total += r;
    missed += Math.max(0, r - h);
    falseAlarm += Math.max(0, h - r);
    overlapMin += Math.min(r, h);
  }
  const confusion = overlapMin - correct;
  return {
    der: total ? (missed + falseAlarm + confusion) / total : 0,
    missed: missed * STEP,
    falseAlarm: falseAlarm * STEP,
    confusion: confusion * STEP,
    reference: total * STEP,
    mapping,
  };
}

function overlapBySpeaker(turns, start, end) {
  const time = new Map();
  for (const t of turns) {
    const o = Math.min(end, t.end) - Math.max(start, t.start);
    if (o > 0) time.set(t.speaker, (time.get(t.speaker) ?? 0) + o);
  }
  return [...time].sort((a, b) => b[1] - a[1]);
}

/**
 * Of the transcript segments that hold reference speech, how many get (through `mapping`) the
 * reference speaker who speaks most in them. `labelled`: the segments after assignSpeakers.
 */
export function segmentAccuracy(reference, labelled, mapping) {
  let right = 0;
  let counted = 0;
  for (const s of labelled) {
    const truth = overlapBySpeaker(reference, s.start, s.end)[0]?.[0];
    if (!truth) continue;
    counted++;
    if (s.speaker !== undefined && mapping[s.speaker] === truth) right++;
  }
  return { right, counted };
}

export function readRttm(text) {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/))
    .map((f) => ({ start: +f[3], end: +f[3] + +f[4], speaker: f[7] }));
}
