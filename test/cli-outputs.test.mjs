// The CLI's outputs and option bounds, checked before any work: inputs with the same name get
// distinct files, a missing output directory or an unusable output path fails before a model is
// even resolved, and malformed --temperature lists, --threads above 4 per core and --beam-size
// outside 1–10 are refused in the CLI's own terms.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, fixture, tmpDir, assertWords, words } from './helpers.mjs';

const cli = path.join(root, 'lib', 'cli.js');
const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });

t.test('two inputs with the same name and --output DIR get distinct files', async (t) => {
  const dir = tmpDir(t);
  for (const [sub, src] of [['a', 'jfk.flac'], ['b', 'gettysburg.wav'], ['c', 'jfk.flac']]) {
    fs.mkdirSync(path.join(dir, sub));
    fs.copyFileSync(fixture(src), path.join(dir, sub, `clip${path.extname(src)}`));
  }
  // clip.flac, clip.wav, and clip-2.flac (whose own name would be the obvious pick for the second "clip")
  fs.copyFileSync(fixture('jfk.flac'), path.join(dir, 'c', 'clip-2.flac'));
  const out = path.join(dir, 'out');
  const inputs = [path.join(dir, 'a', 'clip.flac'), path.join(dir, 'b', 'clip.wav'), path.join(dir, 'c', 'clip-2.flac')];
  const r = run('transcribe', ...inputs, '--model', 'tiny.en', '--threads', '2', '--output', out);
  t.equal(r.status, 0, r.stderr);
  t.same(fs.readdirSync(out).sort(), ['clip-2.txt', 'clip-3.txt', 'clip.txt']);
  assertWords(t, fs.readFileSync(path.join(out, 'clip.txt'), 'utf8'), 'the first keeps its name');
  t.match(words(fs.readFileSync(path.join(out, 'clip-3.txt'), 'utf8')), /four score and seven years ago/, 'the second gets -3 (-2 is another input\'s)');
  assertWords(t, fs.readFileSync(path.join(out, 'clip-2.txt'), 'utf8'));
  t.match(r.stderr, /clip\.wav -> .*clip-3\.txt \(another input has the same name\)/, 'the renaming is said');
});

t.test('output paths are checked before any work', async (t) => {
  const dir = tmpDir(t);
  const noModel = path.join(dir, 'no-such-model'); // if the CLI got as far as the model, it would say "unknown model"
  const file = path.join(dir, 'a-file.txt');
  fs.writeFileSync(file, 'x');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.mkdirSync(path.join(dir, 'sub', 'jfk.txt'));
  const cases = [
    [[fixture('jfk.flac'), '--output', path.join(dir, 'missing', 'out.txt')], /--output: the directory .*missing does not exist/],
    [[fixture('jfk.flac'), '--output', path.join(file, 'out.txt')], /--output: .*a-file\.txt is not a directory/],
    [[fixture('jfk.flac'), fixture('gettysburg.wav'), '--output', file], /--output must be a directory when there are several inputs/],
    [[fixture('jfk.flac'), '--output', path.join(dir, 'sub'), '--format', 'text'], /--output: .*jfk\.txt is a directory/],
    [[fixture('jfk.flac'), '--output', fixture('jfk.flac')], /is one of the inputs; it would be overwritten/],
    [[fixture('jfk.flac'), path.join(dir, 'nope.wav'), '--output', path.join(dir, 'many')], /audio file not found: .*nope\.wav/],
    [[dir, '--output', path.join(dir, 'x.txt')], /audio path is a directory/],
  ];
  for (const [args, re] of cases) {
    const started = Date.now();
    const r = run('transcribe', ...args, '--model', noModel);
    const first = r.stderr.split('\n')[0];
    t.equal(r.status, 1, `${args.join(' ')} fails`);
    t.match(first, re, first);
    t.notMatch(r.stderr, /model/, 'before the model is looked at');
    t.ok(Date.now() - started < 10_000, 'at once');
  }
  t.notOk(fs.existsSync(path.join(dir, 'many')), 'no output directory is made when an input is missing');
  t.equal(fs.readFileSync(fixture('jfk.flac')).length > 1000, true, 'the input is untouched');
});

t.test('a single input into an existing directory, or a path ending in /', async (t) => {
  const dir = tmpDir(t);
  let r = run('transcribe', fixture('jfk.flac'), '--model', 'tiny.en', '--threads', '2', '--format', 'srt', '--output', dir);
  t.equal(r.status, 0, r.stderr);
  t.ok(fs.existsSync(path.join(dir, 'jfk.srt')), 'written into the directory, named after the input');
  r = run('transcribe', fixture('jfk.flac'), '--model', 'tiny.en', '--threads', '2', '--output', path.join(dir, 'new') + '/');
  t.equal(r.status, 0, r.stderr);
  t.ok(fs.existsSync(path.join(dir, 'new', 'jfk.txt')));
});

t.test('option bounds and malformed lists, refused before loading anything', async (t) => {
  const dir = tmpDir(t);
  const noModel = path.join(dir, 'no-such-model');
  const cores = os.availableParallelism();
  const cases = [
    [['--temperature', ''], /--temperature must be a number or a comma-separated list of numbers; got ""/],
    [['--temperature', '0,,1'], /--temperature must be .*; item 2 of "0,,1" is ""/],
    [['--temperature', '0,'], /item 2 of "0," is ""/],
    [['--temperature', 'hot'], /--temperature must be a number or a comma-separated list of numbers; got "hot"/],
    [['--temperature', '0x1'], /got "0x1"/],
    [['--temperature', '0,-0.2'], /--temperature must be 0 or more, got -0.2/],
    [['--temperature', '3'], /--temperature must be at most 2/],
    [['--temperature', Array(22).fill('0').join(',')], /--temperature may list at most 21 values, got 22/],
    [['--threads', '100000'], new RegExp(`--threads must be an integer from 1 to ${cores * 4} \\(at most 4 per core; ${cores} cores here\\), got "100000"`)],
    [['--threads', String(cores * 4 + 1)], /--threads must be an integer from 1 to/],
    [['--threads', '0'], /--threads must be an integer from 1 to/],
    [['--threads', ''], /--threads must be an integer from 1 to/],
    [['--threads', '2.5'], /--threads must be an integer/],
    [['--beam-size', '1e9'], /--beam-size must be an integer of at least 1 and at most 10, got 1000000000/],
    [['--beam-size', '0'], /--beam-size must be an integer of at least 1 and at most 10, got 0/],
    [['--beam-size', '11'], /--beam-size must be an integer of at least 1 and at most 10, got 11/],
  ];
  for (const [args, re] of cases) {
    const started = Date.now();
    const r = run('transcribe', fixture('jfk.flac'), '--model', noModel, ...args);
    const first = r.stderr.split('\n')[0];
    t.equal(r.status, 2, `${args.join(' ').slice(0, 60)}: a usage error`);
    t.match(first, /^ct2-whisper: /);
    t.match(first, re, first);
    t.notMatch(r.stderr, /unknown model/, 'before the model is looked at');
    t.ok(Date.now() - started < 10_000, 'at once');
  }
  // The bounds themselves are accepted.
  const r = run('transcribe', fixture('jfk.flac'), '--model', 'tiny.en', '--threads', '1', '--beam-size', '10', '--temperature', ' 0 , 0.5,1 ');
  t.equal(r.status, 0, r.stderr);
  assertWords(t, r.stdout);
});
