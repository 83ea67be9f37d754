#!/usr/bin/env node
// Builds the Rust addon in native/ with napi-rs's CLI (`napi build --platform`), which writes
// native/ct2-whisper.<platform>-<arch>[-gnu].node, the loader native/binding.cjs and its types
// native/binding.d.cts.
//
// By default CTranslate2 is the library of CTranslate2's own release (its PyPI wheel, fetched
// once into the cache) and is copied beside the .node with the libgomp it needs. ONNX Runtime
// (Silero VAD, the diarization models) is always the library of ONNX Runtime's own release (its
// `onnxruntime` PyPI wheel, fetched once into the cache: scripts/onnxruntime-release.mjs), copied
// beside the .node, which loads it at run time; nothing is downloaded from anywhere else.
// CT2_WHISPER_FROM_SOURCE=1 (or --from-source) compiles CTranslate2 from ct2rs's bundled
// sources instead (Ruy + GNU OpenMP; --features picks other source-* features), for platforms
// without a wheel.
// Cargo's target dir lives outside the clone (CARGO_TARGET_DIR, else
// ${CT2_WHISPER_CACHE:-~/.cache/ct2-whisper}/cargo-target) so rebuilds of a fresh clone are warm.
// Usage: node scripts/build-native.mjs [--from-source] [--features a,b] [--debug]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, checkPin, linkDir, releaseLibraries, root } from './ctranslate2-release.mjs';
import { checkPin as checkOnnxRuntimePin, releaseLibrary as onnxRuntimeLibrary } from './onnxruntime-release.mjs';

const args = process.argv.slice(2);
const debug = args.includes('--debug');
const fromSource = args.includes('--from-source') || process.env.CT2_WHISPER_FROM_SOURCE === '1';
const fi = args.indexOf('--features');
const extra = fi >= 0 ? args[fi + 1].split(',').filter(Boolean) : [];
const features = fromSource ? ['source-ruy', 'source-openmp', ...extra] : extra;
const targetDir = process.env.CARGO_TARGET_DIR || path.join(cacheDir, 'cargo-target');
const nativeDir = path.join(root, 'native');
const env = { ...process.env, CARGO_TARGET_DIR: targetDir, CMAKE_PARALLEL: process.env.CMAKE_PARALLEL || String(os.availableParallelism()) };

// napi-rs's CLI, pinned, installed once into the cache rather than as a devDependency: its
// dependency tree has optional platform packages that this registry does not serve, which
// would leave package-lock.json unable to satisfy `npm ci`.
const NAPI_CLI_VERSION = '3.10.12';
function napiCli() {
  const dir = path.join(cacheDir, 'tools', `napi-cli-${NAPI_CLI_VERSION}`);
  const cli = path.join(dir, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
  if (!fs.existsSync(cli)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    const i = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', `@napi-rs/cli@${NAPI_CLI_VERSION}`], { cwd: dir, stdio: 'inherit' });
    if (i.status !== 0 || !fs.existsSync(cli)) {
      console.error(`build-native: could not install @napi-rs/cli@${NAPI_CLI_VERSION} into ${dir}`);
      process.exit(1);
    }
  }
  return cli;
}

const started = Date.now();
let libraries = [];
let onnxRuntime;
try {
  checkPin();
  checkOnnxRuntimePin();
  onnxRuntime = onnxRuntimeLibrary();
  if (!fromSource) {
    libraries = releaseLibraries();
    env.CT2_WHISPER_CT2_DIR = path.dirname(libraries[0]);
    env.CMAKE_LIBRARY_PATH = [linkDir(env.CT2_WHISPER_CT2_DIR), process.env.CMAKE_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  }
} catch (e) {
  console.error(`build-native: ${e.message}`);
  process.exit(1);
}

/** Newest modification time of the addon's sources (the crate's files and the napi settings). */
function newestSource() {
  const inputs = [path.join(root, 'package.json'), ...['Cargo.toml', 'Cargo.lock', 'build.rs'].map((f) => path.join(nativeDir, f))];
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : inputs.push(path.join(dir, e.name))));
  walk(path.join(nativeDir, 'src'));
  return Math.max(...inputs.filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs));
}

// Nothing to do when the addon, its loader and types, and the libraries beside it are newer than
// every source (cargo would agree, but napi's CLI makes the first rebuild of a fresh target dir
// a full one). CT2_WHISPER_FORCE_BUILD=1 builds anyway.
const addon = path.join(nativeDir, 'ct2-whisper.linux-x64-gnu.node');
const outputs = [addon, path.join(nativeDir, 'binding.cjs'), path.join(nativeDir, 'binding.d.cts'), ...[...libraries, onnxRuntime].map((l) => path.join(nativeDir, path.basename(l)))];
if (!fromSource && !debug && !process.env.CT2_WHISPER_FORCE_BUILD && outputs.every((f) => fs.existsSync(f)) &&
  Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs)) > newestSource()) {
  console.log(`native addon: native/${path.basename(addon)} is newer than its sources (CT2_WHISPER_FORCE_BUILD=1 to build anyway)`);
  process.exit(0);
}

const napiArgs = ['build', '--platform', '--manifest-path', path.join(nativeDir, 'Cargo.toml'), '--output-dir', nativeDir,
  '--package-json-path', path.join(root, 'package.json'), '--target-dir', targetDir, '--js', 'binding.cjs', '--dts', 'binding.d.cts'];
if (!debug) napiArgs.push('--release');
if (fromSource) napiArgs.push('--no-default-features');
if (features.length) napiArgs.push('--features', features.join(' '));
const r = spawnSync(process.execPath, [napiCli(), ...napiArgs], { stdio: 'inherit', env, cwd: root });
if (r.status !== 0) {
  console.error(`build-native: napi build failed (${r.error ? r.error.message : `exit ${r.status}`})`);
  process.exit(1);
}

// The released library and its libgomp go beside the .node (its rpath is $ORIGIN); a
// from-source build links CTranslate2 statically, so stale copies are removed. ONNX Runtime's
// library goes beside it in both (the addon loads it from its own directory).
for (const name of fs.readdirSync(nativeDir)) {
  if (/^lib(ctranslate2|gomp)-.*\.so/.test(name) || /^libonnxruntime\.so/.test(name)) fs.rmSync(path.join(nativeDir, name));
}
for (const lib of [...libraries, onnxRuntime]) fs.copyFileSync(lib, path.join(nativeDir, path.basename(lib)));
const node = fs.readdirSync(nativeDir).filter((n) => n.endsWith('.node'));
console.log(`native addon: ${node.map((n) => `native/${n}`).join(', ')} with ${fromSource ? 'CTranslate2 from source' : libraries.map((l) => path.basename(l)).join(', ')}, ${path.basename(onnxRuntime)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
