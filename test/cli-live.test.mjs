// `ct2-whisper live`: a file, and raw PCM16 on stdin, fed as fast as processed (--pace 0); each
// turn's final text on its own line (stdout is not a terminal: no partials in place).
import t from 'tap';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fixture, assertWords, root } from './helpers.mjs';

function live(args, stdin) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'lib', 'cli.js'), 'live', '--model', 'tiny.en', '--threads', '2', '--pace', '0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

t.test('a file: the turns, one line each, say the recording', async (t) => {
  const r = await live([fixture('jfk.flac'), '--silence-ms', '1500']);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.ok(lines.length >= 1 && lines.every((l) => l.trim().length > 0), `final lines only: ${JSON.stringify(lines)}`);
  t.notMatch(r.stdout, /\r|\x1b/, 'no in-place updates when stdout is not a terminal');
  assertWords(t, lines.join(' '), 'the lines');
});

t.test('raw PCM16 at 24 kHz on stdin (--raw --rate 24000)', async (t) => {
  const pcm = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', fixture('jfk.flac'), '-ac', '1', '-ar', '24000', '-f', 's16le', '-'], { maxBuffer: 64 << 20 }).stdout;
  const r = await live(['-', '--raw', '--rate', '24000', '--silence-ms', '1500'], pcm);
  t.equal(r.code, 0, r.stderr);
  assertWords(t, r.stdout, 'the lines');
});

t.test('bad input: a usage error, exit 2', async (t) => {
  const r = await live([path.join(root, 'package.json')]);
  t.equal(r.code, 2);
  t.match(r.stderr, /ffmpeg could not read/);
});
