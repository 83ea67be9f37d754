// Hostile audio through the library: forged headers, bombs, truncated and random files, paths
// that are not files (test/hostile/generate-audio.mjs writes them and says what each must give).
// Each case runs in its own child process, so a crash shows up as a signal rather than killing
// the runner, and the child reports its time and peak memory. Every case must end in its
// expected error (or succeed), with no signal, within a time and memory bound, and leave
// nothing in its TMPDIR.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { generateHostileAudio } from './hostile/generate-audio.mjs';
import { modelDir, root, tmpDir } from './helpers.mjs';

// Per case, with room for a machine twice as slow as one loaded core (taskset -c 0 with other
// jobs running: 15 s for the slowest short case, 84 s for the hour, which is decoded three times).
const SECONDS = 60; // cases marked `long` (an hour of audio) get LONG_SECONDS
const LONG_SECONDS = 240;
const MAX_RSS_MB = 1536;

// The child: decodeAudio on the path and on the file's bytes (a regular file's), then
// WhisperModel.transcribe with tiny.en, each caught; prints JSON.
const CHILD = `
import fs from 'node:fs';
import { WhisperModel, decodeAudio } from ${JSON.stringify(pathToFileURL(path.join(root, 'lib', 'index.js')).href)};
const c = JSON.parse(process.argv[1]);
const started = performance.now();
const outcome = async (f) => {
  try {
    return { ok: true, ...(await f()) };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message };
  }
};
const decode = await outcome(async () => {
  const channels = await decodeAudio(c.file, c.options);
  return { seconds: channels[0].length / 16000 };
});
const fromBytes = c.kind !== 'file' ? undefined : await outcome(async () => {
  const channels = await decodeAudio(fs.readFileSync(c.file), c.options);
  return { seconds: channels[0].length / 16000 };
});
const model = await WhisperModel.load(c.model, { device: 'cpu', cpuThreads: 1 });
// An hour is decoded whole but only its first seconds are transcribed.
const transcribe = await outcome(async () => {
  const r = await model.transcribe(c.file, { ...c.options, beamSize: 1, ...(c.long ? { clipTimestamps: [0, 5] } : {}) });
  return { seconds: r.info.duration };
});
model.dispose();
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ decode, fromBytes, transcribe, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
`;

function runCase(c, tmp) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify({ ...c, expect: undefined, model: modelDir('tiny.en') })], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: ((c.long ? LONG_SECONDS : SECONDS) + 30) * 1000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('close', (code, signal) => resolve({ code, signal, out, err, wallMs: Date.now() - started }));
  });
}

const dir = tmpDir(t);
const cases = await generateHostileAudio(dir);

for (const c of cases) {
  t.test(c.name, async (t) => {
    const tmp = fs.mkdtempSync(path.join(dir, 'tmpdir-'));
    const r = await runCase(c, tmp);
    t.equal(r.signal, null, `no signal (${c.what})`);
    t.equal(r.code, 0, `the child exits cleanly${r.code ? `: ${r.err.slice(-2000)}` : ''}`);
    if (r.code !== 0) return;
    const { decode, fromBytes, transcribe, ms, maxRssMb } = JSON.parse(r.out);
    t.comment(`${c.name}: ${(ms / 1000).toFixed(1)} s, peak RSS ${maxRssMb.toFixed(0)} MB; ${decode.ok ? `${decode.seconds} s of audio` : decode.message}`);
    const limit = c.long ? LONG_SECONDS : SECONDS;
    t.ok(ms < limit * 1000, `within ${limit} s (${(ms / 1000).toFixed(1)} s)`);
    t.ok(maxRssMb < MAX_RSS_MB, `peak RSS under ${MAX_RSS_MB} MB (${maxRssMb.toFixed(0)} MB)`);
    const runs = [['decodeAudio', decode], ['decodeAudio on the bytes', fromBytes], ['transcribe', transcribe]].filter(([, o]) => o);
    for (const [what, o] of runs) {
      // 'any' with a duration: a refusal, or that much audio.
      if ((c.expect === 'ok' || c.expect === 'any') && o.ok && c.duration && what !== 'transcribe') {
        t.ok(o.seconds >= c.duration[0] && o.seconds <= c.duration[1], `${what}: ${o.seconds} s within [${c.duration}]`);
      }
      if (c.expect === 'ok') {
        t.ok(o.ok, `${what} succeeds${o.ok ? '' : `: ${o.message}`}`);
      } else if (c.expect instanceof RegExp) {
        t.notOk(o.ok, `${what} fails`);
        if (!o.ok) {
          t.match(o.message, c.expect, `${what}: ${o.message}`);
          // Bad input is the caller's (InputError); a caught panic is ours (a plain Error).
          t.equal(o.name, /^internal error/.test(o.message) ? 'Error' : 'InputError', `${what}: ${o.name}`);
        }
      } else {
        t.pass(`${what}: ${o.ok ? `${o.seconds} s of audio` : o.message}`);
      }
    }
    t.same(fs.readdirSync(tmp), [], 'nothing left in TMPDIR');
  });
}
