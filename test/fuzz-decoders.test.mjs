// A bounded fuzz run over the native decoders and their header checks (issue 17): seeded
// mutations of small valid WAV (16-bit, 8-bit, float, 24-bit stereo), FLAC, MP3, M4A/AAC and OGG
// Vorbis files of a synthetic signal, made here with ffmpeg, for FUZZ_SECONDS (default 40; CI runs the default) in a
// child process (test/fuzz/child.mjs). A crash, a hang, a case over 10 s or 1.5 GB, or an error
// that is not an input error (a panic) fails the test; the case is kept in .tap/fuzz-findings/
// with the seed that made it. Found cases, once fixed, go to test/data/fuzz-corpus/ (named
// <what>.bin), which every run replays first.
//
// FUZZ_SEED picks another sequence of cases (the default is fixed, so CI runs the same cases).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { makeSeeds } from './fuzz/seeds.mjs';
import { root, tmpDir } from './helpers.mjs';

const SECONDS = Number(process.env.FUZZ_SECONDS || 40);
const SEED = Number(process.env.FUZZ_SEED || 17);
const CORPUS = path.join(root, 'test', 'data', 'fuzz-corpus');
const FINDINGS = path.join(root, '.tap', 'fuzz-findings');
const CHILD = path.join(root, 'test', 'fuzz', 'child.mjs');

/** Runs the child to its end: its findings, its summary, and how it ended. */
function runChild(cfg, limitMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      resolve({ code, signal, timedOut, stderr, findings: lines.filter((l) => l.finding).map((l) => l.finding), done: lines.find((l) => l.done) });
    });
  });
}

/** Keeps a finding (and the case that killed or hung the child) where a developer finds it. */
function keep(t, out, r) {
  const kept = [];
  fs.mkdirSync(FINDINGS, { recursive: true });
  for (const f of r.findings) {
    const dest = path.join(FINDINGS, `${Date.now()}-${f.kind}-${f.file}`);
    fs.copyFileSync(path.join(out, f.file), dest);
    kept.push({ ...f, kept: dest });
  }
  const current = path.join(out, 'current.bin');
  if (!r.done && fs.existsSync(current)) {
    const dest = path.join(FINDINGS, `${Date.now()}-${r.timedOut ? 'hang' : `signal-${r.signal ?? r.code}`}.bin`);
    fs.copyFileSync(current, dest);
    kept.push({ kind: r.timedOut ? 'hang' : 'crash', case: JSON.parse(fs.readFileSync(`${current}.json`, 'utf8')), kept: dest, stderr: r.stderr.slice(-500) });
  }
  return kept;
}

t.test('the corpus of found cases', async (t) => {
  const files = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bin')).map((f) => path.join(CORPUS, f));
  t.ok(files.length > 0, `${files.length} cases in test/data/fuzz-corpus`);
  // Each case as it is, under every extension hint, split or not, from bytes and from a file (24
  // ways), and nothing else.
  const out = tmpDir(t);
  const r = await runChild({ seeds: files, out, seed: 1, seconds: 120, maxCases: files.length * 24, replay: true }, 180_000);
  t.same(keep(t, out, r), [], 'no crash, hang, panic or blow-up');
  t.ok(r.done, `the child finished (${r.signal ?? r.code}) ${r.stderr.slice(-300)}`);
  t.equal(r.done?.cases, files.length * 24, `${r.done?.cases} replays`);
});

t.test(`${SECONDS} s of seeded mutations (seed ${SEED})`, async (t) => {
  const dir = tmpDir(t);
  const seeds = makeSeeds(dir);
  const out = tmpDir(t);
  const r = await runChild({ seeds, out, seed: SEED, seconds: SECONDS, maxCases: 1_000_000 }, (SECONDS + 60) * 1000);
  const kept = keep(t, out, r);
  t.same(kept, [], 'no crash, hang, panic or blow-up');
  t.ok(r.done, `the child finished (${r.signal ?? r.code}) ${r.stderr.slice(-300)}`);
  if (r.done) {
    t.ok(r.done.cases > 100, `${r.done.cases} cases in ${r.done.ms} ms, peak RSS ${r.done.maxRssMb} MB`);
  }
});
