#!/usr/bin/env node
// Tuning of the piece clustering (PIECE_CLUSTERING in src/diarize/index.ts) on the TUNING half of
// the evaluation set only: each file's segmentation, pieces and embeddings are computed once, then
// every combination of the grid is clustered and scored (mean DER, speaker count right).
//   node bench/diarize-tune.mjs [--grid '{"pval": [0.012, 0.03], "mergeRatio": [0.5, 0.6]}'] [--threads 2]
//     [--seconds 25]   only the first 25 s of each conversation (short recordings; its own cache)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAudio } from '../lib/index.js';
import { resolveDiarizationModels, loadDiarizationModels } from '../lib/diarize/models.js';
import { segment } from '../lib/diarize/segmentation.js';
import { fbankFeatures } from '../lib/diarize/fbank.js';
import { embedFrameSets } from '../lib/diarize/embedding.js';
import { Pauser } from '../lib/diarize/pause.js';
import { PIECE_CLUSTERING, SHORT_CLUSTERING, piecesOf, speakersOfPieces } from '../lib/diarize/index.js';
import { der, readRttm } from './diarize-score.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const setDir = path.join(here, 'out', 'diarize-set');
const threads = Number(arg('--threads', String(Math.min(4, os.availableParallelism()))));
const grid = JSON.parse(arg('--grid', '{}'));
const threshold = Number(arg('--threshold', '0.4'));
const seconds = arg('--seconds') ? Number(arg('--seconds')) : undefined;
const files = JSON.parse(fs.readFileSync(path.join(setDir, 'index.json'), 'utf8')).filter((r) => r.split === 'tune');
const models = await resolveDiarizationModels(undefined);
const { segmentation: seg, embedding: emb } = await loadDiarizationModels(models, threads);
// (Cached preparations are only valid for the pieces.ts they were cut by: delete the cache after changing it.)
// Each file's windows, pieces and embeddings, computed once and kept in bench/out/diarize-eval/tune-cache.
const cacheDir = path.join(here, 'out', 'diarize-eval', `tune-cache${seconds ? `-${seconds}s` : ''}`);
fs.mkdirSync(cacheDir, { recursive: true });
const b64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const from64 = (s, T) => {
  const b = Buffer.from(s, 'base64');
  return new T(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const prepared = [];
for (const f of files) {
  const cache = path.join(cacheDir, `${f.name}.json`);
  let c;
  if (fs.existsSync(cache)) {
    const j = JSON.parse(fs.readFileSync(cache, 'utf8'));
    c = {
      samples: j.samples,
      short: j.short,
      windows: j.windows.map((w) => ({ start: w.start, active: from64(w.active, Uint8Array) })),
      pieces: j.pieces.map((p) => ({ ...p, runs: from64(p.runs, Uint32Array) })),
      vectors: j.vectors.map((v) => from64(v, Float32Array)),
    };
  } else {
    const [whole] = await decodeAudio(path.join(setDir, `${f.name}.wav`));
    const audio = seconds ? whole.slice(0, seconds * 16000) : whole;
    const windows = await segment(audio, 5 * 16000, seg);
    const features = await fbankFeatures(audio, threads);
    const { pieces, tuning } = piecesOf(windows, features.frames);
    const vectors = await embedFrameSets(emb, features, pieces);
    c = { samples: audio.length, windows, pieces, vectors, short: tuning === SHORT_CLUSTERING };
    fs.writeFileSync(cache, JSON.stringify({ short: c.short, samples: c.samples, windows: windows.map((w) => ({ start: w.start, active: b64(w.active) })), pieces: pieces.map((p) => ({ ...p, runs: b64(p.runs) })), vectors: vectors.map(b64) }));
  }
  const reference = readRttm(fs.readFileSync(path.join(setDir, `${f.name}.rttm`), 'utf8'))
    .filter((t) => !seconds || t.start < seconds)
    .map((t) => ({ ...t, end: seconds ? Math.min(t.end, seconds) : t.end }));
  prepared.push({ f: { ...f, speakers: new Set(reference.map((t) => t.speaker)).size }, ...c, reference });
}
const combos = Object.entries(grid).reduce((acc, [k, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [k]: v }))), [{}]);
for (const combo of combos) {
  const spectral = { ...PIECE_CLUSTERING, ...combo };
  let sum = 0;
  let right = 0;
  const per = [];
  for (const p of prepared) {
    const { perSpeaker } = await speakersOfPieces(p.windows, p.pieces, p.vectors, { threshold: combo.threshold ?? threshold, minSpeakers: 1, maxSpeakers: null }, p.samples, new Pauser(), p.short ? SHORT_CLUSTERING : spectral);
    const turns = perSpeaker.flatMap((list, s) => list.map((t) => ({ ...t, speaker: `S${s}` })));
    const d = der(p.reference, turns);
    const found = perSpeaker.filter((l) => l.length).length;
    sum += d.der;
    if (found === p.f.speakers) right++;
    per.push(`${p.f.name.slice(0, 2)}:${(d.der * 100).toFixed(0)}/${found}of${p.f.speakers}`);
  }
  console.log(`${JSON.stringify(combo)} meanDER ${((sum / prepared.length) * 100).toFixed(1)} % count ${right}/${prepared.length} | ${per.join(' ')}`);
}
