#!/usr/bin/env node
// Runs the Rust unit tests of native/ (`cargo test --release --lib`) without Node: the test binary
// is linked as the addon is, with its Node-API symbols left unresolved (build.rs), and no test
// calls them. It links CTranslate2's released library as the addon does
// (scripts/ctranslate2-release.mjs, the same environment as build-native.mjs) and finds it at run
// time through LD_LIBRARY_PATH; ONNX Runtime's released library (scripts/onnxruntime-release.mjs)
// is named in CT2_WHISPER_ONNXRUNTIME_DIR. Prints cargo's output and ends with one line:
// "native tests: N passed, N failed".
// Usage: node scripts/test-native.mjs [cargo test arguments, e.g. a test name filter]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, checkPin, linkDir, releaseLibraries, root } from './ctranslate2-release.mjs';
import { checkPin as checkOnnxRuntimePin, releaseDir as onnxRuntimeDir } from './onnxruntime-release.mjs';

const targetDir = process.env.CARGO_TARGET_DIR || path.join(cacheDir, 'cargo-target');
const env = { ...process.env, CARGO_TARGET_DIR: targetDir, CMAKE_PARALLEL: process.env.CMAKE_PARALLEL || String(os.availableParallelism()) };
try {
  checkPin();
  const libraries = releaseLibraries();
  env.CT2_WHISPER_CT2_DIR = path.dirname(libraries[0]);
  env.CMAKE_LIBRARY_PATH = [linkDir(env.CT2_WHISPER_CT2_DIR), process.env.CMAKE_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  env.LD_LIBRARY_PATH = [env.CT2_WHISPER_CT2_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  // The addon loads ONNX Runtime from its own directory; the test binary from the fetched release.
  checkOnnxRuntimePin();
  env.CT2_WHISPER_ONNXRUNTIME_DIR = onnxRuntimeDir();
} catch (e) {
  console.error(`test-native: ${e.message}`);
  process.exit(1);
}

// napi-build's build script reruns when NAPI_TYPE_DEF_TMP_FOLDER changes, and `napi build` sets it
// to a folder of its own under the target dir: the test build gets the one the last addon build
// used, so the two builds do not recompile the crate for each other.
const typeDefs = path.join(targetDir, 'napi-rs');
if (fs.existsSync(typeDefs)) {
  const newest = fs.readdirSync(typeDefs).filter((n) => n.startsWith('ct2-whisper-native-'))
    .map((n) => ({ dir: path.join(typeDefs, n), at: fs.statSync(path.join(typeDefs, n)).mtimeMs }))
    .sort((a, b) => b.at - a.at)[0];
  if (newest) env.NAPI_TYPE_DEF_TMP_FOLDER = newest.dir;
}
// The same --target as `napi build` passes, so the test build shares the addon build's artifacts
// (with no --target cargo keeps them in another folder and compiles every dependency again).
const host = /^host: (\S+)$/m.exec(spawnSync('rustc', ['-vV'], { encoding: 'utf8' }).stdout ?? '')?.[1];
const args = ['test', '--release', '--lib', '--manifest-path', path.join(root, 'native', 'Cargo.toml'),
  ...(host ? ['--target', host] : []), ...process.argv.slice(2)];
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
