#!/usr/bin/env node
// The fuzz loop (test/fuzz-decoders.test.mjs runs it in a child process, so that a crash is a
// signal to the parent, not the end of the runner). Seeded mutations of small valid files go to
// the native decoders and their header checks (the addon's decodeAudio on bytes, and
// decodeAudioFile on a file now and then), for a bounded time and count.
//
// Before each case, its bytes are written to <out>/current.bin: if the process dies or hangs, that
// is the case. A case that takes longer than CASE_MS, grows the RSS past MAX_RSS_MB, or fails
// with anything but an input error (a panic caught at the boundary is "internal error: ...") is a
// finding: written to <out>/finding-<n>.bin with a line of JSON on stdout; the loop goes on.
//
// Usage: node test/fuzz/child.mjs '{"seeds": [paths], "out": dir, "seed": 1, "seconds": 40, "maxCases": 100000, "replay": false}'
// (replay: first each seed unmutated, under every extension hint, split or not, bytes and file).
// Prints JSON lines: {"finding": ...} per finding, then {"done": true, cases, ms, maxRssMb}.
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../../lib/native.js';

const CASE_MS = 10_000;
const MAX_RSS_MB = 1536;
const MAX_SECONDS = 60;
const MAX_BYTES = 8 * 1024 * 1024;

const cfg = JSON.parse(process.argv[2]);
const seeds = cfg.seeds.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) }));

/** mulberry32: a small seeded PRNG, the same cases for the same seed on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(cfg.seed);
const int = (n) => Math.floor(rand() * n);
const pick = (list) => list[int(list.length)];

/** Values that header fields break on. */
const U32 = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const U8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff];

/** One mutation of `b` (a copy); several may be stacked. Offsets favour the header (the first 256 bytes). */
function mutate(b) {
  const at = () => (rand() < 0.6 ? int(Math.min(b.length, 256)) : int(b.length));
  switch (int(9)) {
    case 0: { // flip a bit
      const i = at();
      b[i] ^= 1 << int(8);
      return b;
    }
    case 1: { // an interesting byte
      b[at()] = pick(U8);
      return b;
    }
    case 2: { // an interesting 32-bit field, either endianness
      const i = Math.min(at(), b.length - 4);
      if (i >= 0) (rand() < 0.5 ? b.writeUInt32LE : b.writeUInt32BE).call(b, pick(U32), i);
      return b;
    }
    case 3: { // an interesting 16-bit field
      const i = Math.min(at(), b.length - 2);
      if (i >= 0) b.writeUInt16LE(pick([0, 1, 2, 0xff, 0x7fff, 0x8000, 0xffff]), i);
      return b;
    }
    case 4: // truncate
      return b.subarray(0, int(b.length));
    case 5: { // delete a range
      const i = at();
      return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + int(64)))]);
    }
    case 6: { // repeat a range (chunks that say more, packets twice)
      const i = at();
      const r = b.subarray(i, Math.min(b.length, i + 1 + int(512)));
      return Buffer.concat([b.subarray(0, i), r, r, b.subarray(i)]);
    }
    case 7: { // random bytes over a range
      const i = at();
      for (let k = i; k < Math.min(b.length, i + 1 + int(32)); k++) b[k] = int(256);
      return b;
    }
    default: { // splice: this file's head on another seed's body
      const other = pick(seeds).bytes;
      const i = at();
      return Buffer.concat([b.subarray(0, i), other.subarray(Math.min(other.length, i))]);
    }
  }
}

const out = cfg.out;
const current = path.join(out, 'current.bin');
const file = path.join(out, 'case.bin');
const started = performance.now();
let cases = 0;
let findings = 0;
const addon = native();

function finding(kind, bytes, detail, c) {
  const name = `finding-${findings++}.bin`;
  fs.writeFileSync(path.join(out, name), bytes);
  process.stdout.write(JSON.stringify({ finding: { kind, file: name, detail, seed: c.seed, ext: c.ext, split: c.split, viaFile: c.viaFile } }) + '\n');
}

/** With `collect`: the first (smallest so far) case of each kind of outcome, as corpus candidates. */
const classes = new Map();
function outcome(bytes, message, c) {
  if (!cfg.collect) return;
  const kind = message.replace(/\d+(\.\d+)?/g, 'N').slice(0, 120);
  const had = classes.get(kind);
  if (had && had.size <= bytes.length) return;
  const name = had?.file ?? `class-${classes.size}.bin`;
  fs.writeFileSync(path.join(out, name), bytes);
  classes.set(kind, { file: name, size: bytes.length, seed: c.seed, ext: c.ext, split: c.split, message: message.slice(0, 200) });
}

/** One case: written down first (see the top), decoded, judged. Returns false when the loop must stop. */
async function runCase(bytes, c) {
  fs.writeFileSync(current, bytes);
  fs.writeFileSync(`${current}.json`, JSON.stringify(c));
  const t0 = performance.now();
  try {
    if (c.viaFile) {
      fs.writeFileSync(file, bytes);
      await addon.decodeAudioFile(file, c.ext, c.split, MAX_SECONDS, MAX_BYTES);
    } else {
      await addon.decodeAudio(bytes, c.ext, c.split, MAX_SECONDS, MAX_BYTES);
    }
    outcome(bytes, 'decoded', c);
  } catch (e) {
    // Input errors are what hostile input should get; anything else (a panic: "internal error") is ours.
    if (/^internal error|panick/i.test(e.message) || e.code === 'ERR_INTERNAL') finding('error', bytes, e.message, c);
    outcome(bytes, e.message, c);
  }
  const ms = performance.now() - t0;
  if (ms > CASE_MS) finding('slow', bytes, `${Math.round(ms)} ms`, c);
  cases++;
  const rss = process.memoryUsage().rss / 2 ** 20;
  if (rss > MAX_RSS_MB) {
    finding('memory', bytes, `RSS ${Math.round(rss)} MB`, c);
    return false;
  }
  return true;
}

// Replay: each seed as it is, under every hint, split or not, from bytes and from a file.
let going = true;
if (cfg.replay) {
  for (const seed of seeds) {
    for (const ext of [null, 'wav', 'flac', 'mp3', 'm4a', 'ogg']) {
      for (const split of [false, true]) {
        for (const viaFile of [false, true]) {
          if (going) going = await runCase(seed.bytes, { seed: seed.name, ext, split, viaFile });
        }
      }
    }
  }
}

while (going && cases < cfg.maxCases && performance.now() - started < cfg.seconds * 1000) {
  const seed = pick(seeds);
  let bytes = Buffer.from(seed.bytes);
  const n = 1 + int(4);
  for (let k = 0; k < n; k++) bytes = mutate(bytes);
  if (!bytes.length) continue;
  const c = { seed: seed.name, ext: rand() < 0.5 ? path.extname(seed.name).slice(1) : null, split: rand() < 0.2, viaFile: rand() < 0.1 };
  going = await runCase(bytes, c);
}
fs.rmSync(current, { force: true });
fs.rmSync(`${current}.json`, { force: true });
fs.rmSync(file, { force: true });
if (cfg.collect) fs.writeFileSync(path.join(out, 'classes.json'), JSON.stringify([...classes.entries()].map(([kind, v]) => ({ kind, ...v })), null, 1));
process.stdout.write(JSON.stringify({ done: true, cases, ms: Math.round(performance.now() - started), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
