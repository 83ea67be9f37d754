// The CLI's other commands and its terminal behaviour: `models` lists the cached models (name,
// path, size, multilingual or not), `detect-language` prints the language and its probability,
// and `transcribe` draws a progress bar with an ETA on a terminal only (run under a
// pseudo-terminal with util-linux's `script`), which --quiet silences.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, fixture, modelDir, tmpDir, assertWords } from './helpers.mjs';
import { renderProgress, formatClock } from '../lib/cli/progress.js';

const cli = path.join(root, 'lib', 'cli.js');
const run = (args, env = process.env) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000, env });
const sizeOf = (dir) => fs.readdirSync(dir).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);

t.test('models lists the cached models with path, size and languages', async (t) => {
  const r = run(['models']);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^NAME\s+LANGUAGES\s+SIZE\s+PATH$/);
  const tiny = lines.find((l) => l.startsWith('tiny.en '));
  const base = lines.find((l) => l.startsWith('base '));
  t.match(tiny, /english-only\s+\d+\.\d MB\s+.*\/models\/tiny\.en$/);
  t.match(base, /multilingual\s+\d+\.\d MB\s+.*\/models\/base$/);

  const j = run(['models', '--format', 'json']);
  t.equal(j.status, 0, j.stderr);
  const list = JSON.parse(j.stdout);
  const byName = Object.fromEntries(list.map((m) => [m.name, m]));
  t.same(
    { path: byName['tiny.en'].path, size: byName['tiny.en'].size, multilingual: byName['tiny.en'].multilingual, complete: true, source: 'cache' },
    { path: modelDir('tiny.en'), size: sizeOf(modelDir('tiny.en')), multilingual: false, complete: true, source: 'cache' },
  );
  t.equal(byName.base.multilingual, true);
  t.equal(byName.base.size, sizeOf(modelDir('base')));
});

t.test('models finds Hugging Face cache snapshots and says when there are none', async (t) => {
  const dir = tmpDir(t);
  const hub = path.join(dir, 'hub');
  const snap = path.join(hub, 'models--Systran--faster-whisper-tiny.en', 'snapshots', 'abc123');
  fs.mkdirSync(snap, { recursive: true });
  for (const f of fs.readdirSync(modelDir('tiny.en'))) fs.symlinkSync(path.join(modelDir('tiny.en'), f), path.join(snap, f));
  const env = { ...process.env, CT2_WHISPER_CACHE: path.join(dir, 'empty-cache'), HF_HUB_CACHE: hub };
  const r = run(['models', '--format', 'json'], env);
  t.equal(r.status, 0, r.stderr);
  const [m] = JSON.parse(r.stdout);
  t.same([m.name, m.source, m.path, m.multilingual, m.size, m.aliases], ['Systran/faster-whisper-tiny.en', 'hub', snap, false, sizeOf(modelDir('tiny.en')), ['tiny.en']]);
  const text = run(['models'], env);
  t.match(text.stdout, /^Systran\/faster-whisper-tiny\.en \(tiny\.en\)\s+english-only/m);
  const none = run(['models'], { ...env, HF_HUB_CACHE: path.join(dir, 'no-hub') });
  t.equal(none.status, 0);
  t.match(none.stdout, /^no models in .*empty-cache\/models/);
});

t.test('detect-language prints the language and its probability', async (t) => {
  const base = ['--model', modelDir('base'), '--threads', '2'];
  const r = run(['detect-language', fixture('jfk.flac'), ...base]);
  t.equal(r.status, 0, r.stderr);
  const m = /^en (0\.\d{4}|1\.0000)\n$/.exec(r.stdout);
  t.ok(m, r.stdout);
  t.ok(Number(m?.[1]) > 0.5);
  const j = run(['detect-language', fixture('jfk.flac'), fixture('gettysburg.wav'), ...base, '--format', 'json', '--language-detection-segments', '2']);
  t.equal(j.status, 0, j.stderr);
  const list = JSON.parse(j.stdout);
  t.equal(list.length, 2);
  t.same(list.map((d) => [d.input, d.language]), [[fixture('jfk.flac'), 'en'], [fixture('gettysburg.wav'), 'en']]);
  t.equal(list[0].all_language_probs[0][0], 'en', 'best first');
  t.ok(list[0].all_language_probs.length >= 99);
  const two = run(['detect-language', fixture('jfk.flac'), fixture('gettysburg.wav'), ...base]);
  t.match(two.stdout, /jfk\.flac: en 0\.\d{4}\n.*gettysburg\.wav: en /);
  const bad = run(['detect-language', fixture('jfk.flac'), ...base, '--language-detection-segments', '0']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^ct2-whisper: --language-detection-segments must be an integer of at least 1 and at most 100, got 0\n/);
  const missing = run(['detect-language', path.join(root, 'nope.wav'), ...base]);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /^ct2-whisper: audio file not found/);
});

t.test('the progress line: percentage, bar, audio done and ETA', async (t) => {
  t.equal(formatClock(65), '1:05');
  t.equal(formatClock(3725), '1:02:05');
  const half = renderProgress({ label: 'jfk.flac', done: 5.5, total: 11, elapsedMs: 2000, columns: 80 });
  t.equal(half, `jfk.flac  50% |${'█'.repeat(12)}${'░'.repeat(12)}| 0:06/0:11 ETA 0:02`);
  t.match(renderProgress({ label: 'x', done: 0, total: 11, elapsedMs: 10, columns: 80 }), /  0% \|░+\| 0:00\/0:11 ETA --:--$/);
  t.match(renderProgress({ label: 'x', done: 11, total: 11, elapsedMs: 10, columns: 80 }), /100% \|█+\| 0:11\/0:11 ETA 0:00$/);
  const narrow = renderProgress({ label: 'a-very-long-file-name-that-does-not-fit.flac', done: 1, total: 2, elapsedMs: 1000, columns: 60 });
  t.ok(narrow.length <= 59, `fits in 60 columns: ${narrow}`);
  t.match(narrow, /^…\S*\.flac  50%/);
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

t.test('a progress bar on a terminal only; --quiet silences it', { skip: !hasScript && 'util-linux script is not installed' }, async (t) => {
  const dir = tmpDir(t);
  const out = path.join(dir, 'jfk.txt');
  const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  // stdout goes to a file, so what the terminal shows is stderr: the bar.
  const onTty = (...args) => spawnSync('script', ['-qec', [process.execPath, cli, 'transcribe', fixture('jfk.flac'), '--model', modelDir('tiny.en'), '--threads', '2', '--output', out, ...args].map(quote).join(' '), '/dev/null'], { encoding: 'utf8', timeout: 300_000 });
  const tty = onTty();
  t.equal(tty.status, 0, tty.stdout);
  t.match(tty.stdout, /\rjfk\.flac 100% \|█+\| 0:11\/0:11 ETA 0:00/, 'the bar reaches 100% with an ETA');
  t.match(tty.stdout, /\r\S*jfk\.flac +\d+% .*ETA/, 'drawn in place');
  assertWords(t, fs.readFileSync(out, 'utf8'));
  const quiet = onTty('--quiet');
  t.equal(quiet.status, 0, quiet.stdout);
  t.notMatch(quiet.stdout, /%|ETA/, '--quiet: no bar');
  // Not a terminal: nothing, unless --progress asks for lines.
  const piped = run(['transcribe', fixture('jfk.flac'), '--model', modelDir('tiny.en'), '--threads', '2']);
  t.equal(piped.stderr, '', 'no bar when stderr is not a terminal');
  assertWords(t, piped.stdout);
  const lines = run(['transcribe', fixture('jfk.flac'), '--model', modelDir('tiny.en'), '--threads', '2', '--progress']);
  t.match(lines.stderr, /^jfk\.flac 100% \|█+\| 0:11\/0:11 ETA 0:00$/m, '--progress: lines for a log');
  t.notMatch(lines.stderr, /\r/);
});
