#!/usr/bin/env node
// Builds the Rust addon in native/ with cargo and copies it to
// native/ct2-whisper.<platform>-<arch>[-gnu][-cuda].node.
// Cargo's target dir lives outside the clone (CARGO_TARGET_DIR, else
// ${CT2_WHISPER_CACHE:-~/.cache/ct2-whisper}/cargo-target) so rebuilds of a fresh clone are warm.
// Usage: node scripts/build-native.mjs [--cuda] [--features a,b] [--debug]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const cuda = args.includes('--cuda');
const debug = args.includes('--debug');
const fi = args.indexOf('--features');
const features = [...(fi >= 0 ? args[fi + 1].split(',') : []), ...(cuda ? ['cuda'] : [])];
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const targetDir = process.env.CARGO_TARGET_DIR || path.join(cache, 'cargo-target');
const cmakeParallel = process.env.CMAKE_PARALLEL || String(os.availableParallelism());

const cargoArgs = ['build', '--manifest-path', path.join(root, 'native', 'Cargo.toml')];
if (!debug) cargoArgs.push('--release');
if (features.length) cargoArgs.push('--features', features.join(','));
const started = Date.now();
const r = spawnSync('cargo', cargoArgs, {
  stdio: 'inherit',
  env: { ...process.env, CARGO_TARGET_DIR: targetDir, CMAKE_PARALLEL: cmakeParallel },
});
if (r.status !== 0) {
  console.error(`cargo build failed (${r.error ? r.error.message : `exit ${r.status}`})`);
  process.exit(1);
}
const lib = { linux: 'libct2_whisper_native.so', darwin: 'libct2_whisper_native.dylib', win32: 'ct2_whisper_native.dll' }[process.platform];
const built = path.join(targetDir, debug ? 'debug' : 'release', lib);
const triple = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : ''}`;
const dest = path.join(root, 'native', `ct2-whisper.${triple}${cuda ? '-cuda' : ''}.node`);
fs.copyFileSync(built, dest + '.tmp');
fs.renameSync(dest + '.tmp', dest);
console.log(`native addon: ${path.relative(root, dest)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
