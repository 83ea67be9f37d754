// VAD in a process of its own: ONNX Runtime's Linux build (onnxruntime-node 1.30 then, the
// onnxruntime wheel's 1.31 library now) starts Microsoft's 1DS telemetry when its environment is
// created, which matches /proc/self/cmdline with a recursive std::regex (a command line of ~30 KB
// or more overflows the stack: SIGSEGV) and leaves mat-debug-<pid>.log and .ses in TMPDIR. The
// addon sets ORT_DISABLE_TELEMETRY=1 before it creates the environment
// (native/src/onnx/runtime.rs); these tests check both symptoms in child processes whose
// environment does not set it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, fixture, tmpDir, words } from './helpers.mjs';

const cli = path.join(root, 'lib', 'cli.js');
const env = { ...process.env };
delete env.ORT_DISABLE_TELEMETRY;
for (const k of Object.keys(env)) if (k.startsWith('RUNPOD_')) delete env[k];

const VAD_SCRIPT = `
import { decodeAudio, getSpeechTimestamps } from ${JSON.stringify(path.join(root, 'lib', 'index.js'))};
const [audio] = await decodeAudio(${JSON.stringify(fixture('jfk.flac'))});
const speech = await getSpeechTimestamps(audio);
process.stdout.write(JSON.stringify({ chunks: speech.length, argv: process.argv.slice(1).join(' ').length }));
`;

/**
 * Writes `code` to a file and runs it with `args`. Not \`node -e\`: the regex's \`.\` stops at a
 * newline, so a multi-line script on the command line would hide the long argument after it.
 */
function runScript(t, code, args, opts) {
  const file = path.join(tmpDir(t), 'script.mjs');
  fs.writeFileSync(file, code);
  return spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 120_000, ...opts });
}

t.test('VAD with a 100 KB command line: no crash, nothing left in TMPDIR', async (t) => {
  const tmp = tmpDir(t);
  const big = 'x'.repeat(100 * 1024);
  const r = runScript(t, VAD_SCRIPT, [big], { env: { ...env, TMPDIR: tmp } });
  t.equal(r.signal, null, `not killed by a signal (${r.signal}): ${r.stderr.slice(-300)}`);
  t.equal(r.status, 0);
  const out = JSON.parse(r.stdout);
  t.ok(out.chunks >= 1, 'speech found');
  t.ok(out.argv >= 100 * 1024, 'the command line held 100 KB');
  t.same(fs.readdirSync(tmp), [], 'no mat-debug-*.log nor .ses in TMPDIR');
  t.notOk(fs.existsSync(path.join(root, '.ses')), 'no .ses in the working directory');
});

t.test('VAD with a short command line leaves nothing in TMPDIR', async (t) => {
  const tmp = tmpDir(t);
  const r = runScript(t, VAD_SCRIPT, [], { env: { ...env, TMPDIR: tmp } });
  t.equal(r.status, 0, r.stderr.slice(-300));
  t.same(fs.readdirSync(tmp).filter((f) => /^mat-debug-\d+\.log$|\.ses$/.test(f)), []);
  t.same(fs.readdirSync(tmp), []);
});

t.test('worker --test_input with base64 audio and vad_filter (a ~90 KB argument)', async (t) => {
  const tmp = tmpDir(t);
  const job = { input: { audio_base_64: fs.readFileSync(fixture('hotwords.mp3')).toString('base64'), vad_filter: true } };
  const arg = JSON.stringify(job);
  t.ok(arg.length > 80 * 1024, `the argument is ${arg.length} bytes`);
  const r = spawnSync(process.execPath, [cli, 'worker', '--test_input', arg], {
    env: { ...env, TMPDIR: tmp, JOBS_DIR: tmp, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' },
    encoding: 'utf8',
    timeout: 180_000,
  });
  t.equal(r.signal, null, `not killed by a signal (${r.signal})`);
  t.equal(r.status, 0, r.status === 0 ? 'exit 0' : r.stderr.slice(-500));
  const result = JSON.parse(r.stdout.trim().split('\n').pop());
  t.ok(words(result.output.transcription).length > 0, `transcribed: ${result.output.transcription}`);
  t.ok(result.output.duration_after_vad <= result.output.duration, 'VAD ran');
  t.same(fs.readdirSync(tmp), [], 'TMPDIR (and JOBS_DIR) empty');
});
