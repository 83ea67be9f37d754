#!/usr/bin/env node
// Before the tests: the addon and lib/ are built from the current sources, the test models are
// in the cache, the Rust unit tests pass (scripts/test-native.mjs, which ends with
// "native tests: N passed, N failed"), and the S3-compatible test server is installed. Each step
// is quick when done.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`prepare-test: ${cmd} ${args.join(' ')} failed`);
    process.exit(1);
  }
}
run('node', ['scripts/build-native.mjs']);
run('npx', ['tsc', '-p', 'tsconfig.json']);
fs.chmodSync(path.join(root, 'lib', 'cli.js'), 0o755);
run('node', ['scripts/fetch-models.mjs', 'tiny.en', 'base', 'silero-vad', 'diarization']);
run('node', ['scripts/test-native.mjs']);

// Python peers from PyPI, in a venv of their own: moto, a real S3-compatible server for the
// artifact tests; runpod, RunPod's own client, against the worker's --rp_serve_api.
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const venv = path.join(cache, 'test-venv');
/** Whether the venv has `name` in its site-packages (a package's dist-info: that version installed). */
const installed = (name) => fs.existsSync(path.join(venv, 'lib')) && fs.readdirSync(path.join(venv, 'lib')).some((v) => fs.existsSync(path.join(venv, 'lib', v, 'site-packages', name)));
/** Each peer, pinned, and how to tell it is there. */
const PYTHON_PEERS = [
  ['moto[server]==5.2.5', () => fs.existsSync(path.join(venv, 'bin', 'moto_server'))],
  ['runpod==1.12.0', () => installed('runpod-1.12.0.dist-info')],
];
if (!fs.existsSync(path.join(venv, 'bin', 'pip'))) run('python3', ['-m', 'venv', venv]);
for (const [pkg, there] of PYTHON_PEERS) {
  if (!there()) run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', pkg]);
}
// OpenAI's Python SDK with its realtime client, against serve's /v1/realtime: a venv of its own
// (its websockets pin differs from runpod's).
const openaiVenv = path.join(cache, 'openai-venv');
if (!fs.existsSync(path.join(openaiVenv, 'bin', 'pip'))) run('python3', ['-m', 'venv', openaiVenv]);
if (!fs.existsSync(path.join(openaiVenv, 'lib')) || !fs.readdirSync(path.join(openaiVenv, 'lib')).some((v) => fs.existsSync(path.join(openaiVenv, 'lib', v, 'site-packages', 'openai-3.57.0.dist-info')))) {
  run(path.join(openaiVenv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', 'openai[realtime]==3.57.0']);
}
