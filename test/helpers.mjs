// Shared by the tests: where fixtures and models are, and checks used by several files.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const fixturesDir = process.env.CT2_WHISPER_FIXTURES || path.resolve(root, '..', 'shared', 'fixtures');
export const fixture = (name) => path.join(fixturesDir, 'audio', name);
export const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
export const modelDir = (name) => path.join(cache, 'models', name);

export const JFK_WORDS = 'and so my fellow americans ask not what your country can do for you ask what you can do for your country';

/** Lower case, letters and digits only, single spaces. */
export function words(text) {
  return text.toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, ' ').replace(/'/g, '').replace(/\s+/g, ' ').trim();
}

/**
 * Asserts faster-whisper's timestamp invariants on a transcription. `wordSlack`: how far a word
 * may overhang its segment; faster-whisper's own clean-up of the first and last word lets them
 * overhang by up to about half a second on long recordings (seen on Arthur.mp3 with tiny.en).
 * `overlap`: how far a segment may start before the previous one ends (faster-whisper's batched
 * pipeline with word timestamps gives Arthur.mp3 87.44 -> 87.40 at a chunk boundary, as we do).
 */
export function checkMonotonic(t, result, duration, wordSlack = 1e-6, overlap = 1e-6) {
  let prevEnd = 0;
  for (const s of result.segments) {
    t.ok(s.start < s.end, `segment ${s.id} starts (${s.start}) before it ends (${s.end})`);
    t.ok(s.start >= prevEnd - overlap, `segment ${s.id} starts (${s.start}) at or after the previous end (${prevEnd})`);
    prevEnd = s.end;
    if (s.words) {
      let prevWordEnd = s.start - wordSlack;
      for (const w of s.words) {
        t.ok(w.start <= w.end, `word ${JSON.stringify(w.word)} is ordered`);
        t.ok(w.start >= s.start - wordSlack && w.end <= s.end + wordSlack, `word ${JSON.stringify(w.word)} [${w.start}, ${w.end}] inside segment [${s.start}, ${s.end}]`);
        t.ok(w.start >= prevWordEnd - 1e-6, `word ${JSON.stringify(w.word)} follows the previous word`);
        prevWordEnd = w.end;
      }
    }
  }
  if (duration !== undefined) t.ok(prevEnd <= duration + 1e-6, `last segment ends (${prevEnd}) by the duration (${duration})`);
}

export function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Word error rate of `hypothesis` against `reference` (both through words()): edits / reference words. */
export function wordErrorRate(reference, hypothesis) {
  const ref = words(reference).split(' ').filter(Boolean);
  const hyp = words(hypothesis).split(' ').filter(Boolean);
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const row = [i];
    for (let j = 1; j <= hyp.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return ref.length ? prev[hyp.length] / ref.length : hyp.length ? 1 : 0;
}

/**
 * int8, the CPU default, decodes a little differently on different CPUs (AVX2, AVX-512 and VNNI
 * kernels round differently: a comma here, a word there, a segment split elsewhere; see
 * docs/testing-isas.md). An int8 transcript is therefore held to a word error rate against what
 * was said, never to identity: at most INT8_MAX_WER of the reference's words may differ (2 of
 * JFK's 22). Exact text, segment counts and boundaries are asserted in float32 only.
 */
export const INT8_MAX_WER = 0.1;

/** Asserts that `text` says `reference` (JFK's sentence unless given) within INT8_MAX_WER. */
export function assertWords(t, text, message = 'the words', reference = JFK_WORDS) {
  const said = typeof text === 'string' ? text : '';
  const wer = wordErrorRate(reference, said);
  return t.ok(wer <= INT8_MAX_WER, `${message} (WER ${wer.toFixed(3)} <= ${INT8_MAX_WER}): ${JSON.stringify(words(said))}`);
}

/**
 * Runs `ct2-whisper ARGS` (lib/cli.js) to its end, asynchronously (a server in this process may
 * have to answer it). `result` is the last stdout line as JSON when it is JSON (a worker job's
 * result), else undefined.
 */
export function runCli(args, { cwd = root, env = process.env, timeoutMs = 240_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'lib', 'cli.js'), ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop();
      let result;
      try {
        result = last ? JSON.parse(last) : undefined;
      } catch {
        result = undefined;
      }
      resolve({ status, signal, stdout, stderr, result });
    });
  });
}

/** A 16-bit PCM mono WAV file of 16 kHz float samples. */
export function wavBytes(samples, sampleRate = 16000) {
  const b = Buffer.alloc(44 + samples.length * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples.length * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples.length * 2, 40);
  samples.forEach((x, i) => b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x * 32767))), 44 + i * 2));
  return b;
}

/**
 * Diarization error rate, scored on 10 ms frames without a collar, overlaps included (as
 * pyannote.metrics and md-eval score them): (missed + false alarm + confusion) / reference speech,
 * each frame counting max(0, ref − hyp) missed, max(0, hyp − ref) false alarm and
 * min(ref, hyp) − correct confused speakers, under the mapping of hypothesis speakers to
 * reference speakers that maximizes the correct time (every mapping tried: a few speakers).
 * `reference` and `hypothesis`: lists of { start, end, speaker } in seconds.
 */
export function diarizationErrorRate(reference, hypothesis, step = 0.01) {
  const end = Math.max(0, ...reference.map((r) => r.end), ...hypothesis.map((h) => h.end));
  const frames = Math.ceil(end / step);
  const activity = (turns) => {
    const names = [...new Set(turns.map((x) => x.speaker))];
    const rows = names.map(() => new Uint8Array(frames));
    for (const x of turns) {
      const row = rows[names.indexOf(x.speaker)];
      for (let f = Math.floor(x.start / step); f < Math.min(frames, Math.ceil(x.end / step)); f++) row[f] = 1;
    }
    return { names, rows };
  };
  const ref = activity(reference);
  const hyp = activity(hypothesis);
  // co[i][j]: frames where reference speaker i and hypothesis speaker j both speak.
  const co = ref.rows.map((r) => hyp.rows.map((h) => r.reduce((a, v, f) => a + (v & h[f]), 0)));
  const best = (i, used) => {
    if (i === ref.rows.length) return 0;
    let b = best(i + 1, used); // reference speaker i left unmapped
    for (let j = 0; j < hyp.rows.length; j++) if (!used.has(j)) b = Math.max(b, co[i][j] + best(i + 1, new Set([...used, j])));
    return b;
  };
  let missed = 0;
  let falseAlarm = 0;
  let overlapMin = 0;
  let total = 0;
  for (let f = 0; f < frames; f++) {
    const r = ref.rows.reduce((a, row) => a + row[f], 0);
    const h = hyp.rows.reduce((a, row) => a + row[f], 0);
    total += r;
    missed += Math.max(0, r - h);
    falseAlarm += Math.max(0, h - r);
    overlapMin += Math.min(r, h);
  }
  const correct = best(0, new Set());
  const confusion = overlapMin - correct;
  return { der: total ? (missed + falseAlarm + confusion) / total : 0, missed: missed * step, falseAlarm: falseAlarm * step, confusion: confusion * step, reference: total * step };
}
