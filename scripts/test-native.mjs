#!/usr/bin/env node
// Runs the Rust unit tests of native/ (`cargo test --release --features noop`): napi and
// napi-derive's `noop` feature leaves out Node-API registration and symbols, so the test binary
// links and runs without Node. It links CTranslate2's released library as the addon does
// (scripts/ctranslate2-release.mjs, the same environment as build-native.mjs) and finds it at run
// time through LD_LIBRARY_PATH. Prints cargo's output and ends with one line:
// "native tests: N passed, N failed".
// Usage: node scripts/test-native.mjs [cargo test arguments, e.g. a test name filter]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, checkPin, linkDir, releaseLibraries, root } from './ctranslate2-release.mjs';

const targetDir = process.env.CARGO_TARGET_DIR || path.join(cacheDir, 'cargo-target');
const env = { ...process.env, CARGO_TARGET_DIR: targetDir, CMAKE_PARALLEL: process.env.CMAKE_PARALLEL || String(os.availableParallelism()) };
try {
  checkPin();
  const libraries = releaseLibraries();
  env.CT2_WHISPER_CT2_DIR = path.dirname(libraries[0]);
  env.CMAKE_LIBRARY_PATH = [linkDir(env.CT2_WHISPER_CT2_DIR), process.env.CMAKE_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  env.LD_LIBRARY_PATH = [env.CT2_WHISPER_CT2_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
} catch (e) {
  console.error(`test-native: ${e.message}`);
  process.exit(1);
}

const args = ['test', '--release', '--features', 'noop', '--manifest-path', path.join(root, 'native', 'Cargo.toml'), ...process.argv.slice(2)];
const r = spawnSync('cargo', args, { env, cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
process.stdout.write(r.stdout ?? '');
let passed = 0;
let failed = 0;
for (const m of (r.stdout ?? '').matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed/gm)) {
  passed += Number(m[1]);
  failed += Number(m[2]);
}
if (r.status !== 0 && failed === 0) failed = 1;
console.log(`native tests: ${passed} passed, ${failed} failed`);
process.exit(r.status === 0 ? 0 : 1);
