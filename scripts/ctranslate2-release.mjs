// CTranslate2's released library: the `libctranslate2` (and the libgomp it needs) that
// CTranslate2's own release ships in its `ctranslate2` PyPI wheel. Fetched with pip into
// ${CT2_WHISPER_CACHE:-~/.cache/ct2-whisper}/ctranslate2/<version>/lib, once.
// The version is pinned in native/Cargo.toml ([package.metadata.ctranslate2]) and must equal the
// CTranslate2 that the pinned ct2rs bundles headers for.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const manifest = path.join(root, 'native', 'Cargo.toml');

/** Runs a command; its stdout, or an error with the end of its stderr. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${why}`);
  }
  return r.stdout;
}

let metadata;
/** `cargo metadata` of native/ (packages with their manifest paths and metadata). */
export function cargoMetadata() {
  metadata ??= JSON.parse(run('cargo', ['metadata', '--format-version', '1', '--manifest-path', manifest]));
  return metadata;
}

/** Folder of a crate's sources in cargo's registry (e.g. 'ct2rs'). */
export function crateDir(name) {
  const pkg = cargoMetadata().packages.find((p) => p.name === name);
  if (!pkg) throw new Error(`crate ${name} is not in native/'s dependency graph`);
  return path.dirname(pkg.manifest_path);
}

/** A released library's wheel pin, { version, platform, python }, from native/Cargo.toml's [package.metadata.<key>]. */
export function wheelPin(key) {
  const own = cargoMetadata().packages.find((p) => p.manifest_path === manifest);
  const m = own?.metadata?.[key];
  if (!m?.version) throw new Error(`native/Cargo.toml has no [package.metadata.${key}] version`);
  return { version: m.version, platform: m['wheel-platform'], python: m['wheel-python'] };
}

/** CTranslate2's pin. */
export function pinned() {
  return wheelPin('ctranslate2');
}

/** Fails unless the pinned CTranslate2 equals the one ct2rs bundles headers for. */
export function checkPin() {
  const { version } = pinned();
  const versionFile = path.join(crateDir('ct2rs'), 'CTranslate2', 'python', 'ctranslate2', 'version.py');
  const bundled = /__version__\s*=\s*"([^"]+)"/.exec(fs.readFileSync(versionFile, 'utf8'))?.[1];
  if (bundled !== version) {
    throw new Error(
      `CTranslate2 pin mismatch: native/Cargo.toml links CTranslate2 ${version}, but the pinned ct2rs bundles headers ` +
        `for CTranslate2 ${bundled} (${versionFile}). Pin ct2rs and [package.metadata.ctranslate2] together.`,
    );
  }
  return version;
}

/** The folder holding libctranslate2-*.so.<version> and libgomp-*.so.*; fetched when missing. */
export function releaseLibDir() {
  const { version, platform, python } = pinned();
  const dir = path.join(cacheDir, 'ctranslate2', version);
  const lib = path.join(dir, 'lib');
  if (fs.existsSync(path.join(dir, 'complete'))) return lib;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const wheels = path.join(dir, 'wheel');
  console.error(`fetching CTranslate2 ${version}'s released library (the ctranslate2 wheel from PyPI)`);
  run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:',
    '--platform', platform, '--python-version', python, '--implementation', 'cp', '-d', wheels, `ctranslate2==${version}`], { stdio: ['ignore', 'inherit', 'pipe'] });
  const wheel = fs.readdirSync(wheels).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip left no wheel in ${wheels}`);
  // The wheel's shared libraries, as they are (their sonames and $ORIGIN rpath are kept).
  run('python3', ['-c', `
import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1]); out = sys.argv[2]; os.makedirs(out, exist_ok=True)
for n in z.namelist():
    if n.startswith('ctranslate2.libs/') and '.so' in n:
        with open(os.path.join(out, os.path.basename(n)), 'wb') as f: f.write(z.read(n))
`, path.join(wheels, wheel), lib]);
  fs.rmSync(wheels, { recursive: true, force: true });
  const names = fs.readdirSync(lib);
  if (!names.some((n) => n.startsWith('libctranslate2') && n.endsWith(`.so.${version}`)) || !names.some((n) => n.startsWith('libgomp'))) {
    throw new Error(`the ctranslate2 ${version} wheel did not hold libctranslate2 and libgomp (found: ${names.join(', ')})`);
  }
  fs.writeFileSync(path.join(dir, 'complete'), `${wheel}\n`);
  return lib;
}

/**
 * The folder the linker searches when ct2rs is compiled with its `system` feature (passed in
 * CMAKE_LIBRARY_PATH, which ct2rs's build script adds to the search path):
 * - libctranslate2.so -> the released library, whose soname (the hashed file name shipped beside
 *   the .node) is what the addon records as NEEDED;
 * - an empty archive for each other name on ct2rs's `system` link list. That list is written for
 *   a CTranslate2 built from source as static pieces: it asks for `cpu_features` and, without
 *   CUDA dynamic loading, static cuBLAS (`cublas_static`, `cublasLt_static`, `culibos`). The
 *   released library already contains cpu_features and loads cuBLAS itself at run time, and
 *   ct2rs's C++ bridge calls neither, so nothing may be linked for those names: an archive with
 *   no members (the 8-byte `ar` header) answers each `-l` with no object. The test suite checks
 *   that the built .node needs nothing but libctranslate2 and the C/C++ runtime.
 */
export function linkDir(libDir) {
  const dir = path.join(path.dirname(libDir), 'link');
  // Made once: remade files would look new to cargo and rebuild ct2rs and the addon.
  if (fs.existsSync(path.join(dir, 'complete'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const library = fs.readdirSync(libDir).find((n) => n.startsWith('libctranslate2'));
  fs.symlinkSync(path.join(libDir, library), path.join(dir, 'libctranslate2.so'));
  for (const name of ['cpu_features', 'cublas_static', 'cublasLt_static', 'culibos']) {
    fs.writeFileSync(path.join(dir, `lib${name}.a`), '!<arch>\n');
  }
  fs.writeFileSync(path.join(dir, 'complete'), '');
  return dir;
}

/** The shared libraries to ship beside the .node. */
export function releaseLibraries() {
  const lib = releaseLibDir();
  return fs.readdirSync(lib).filter((n) => n.includes('.so')).map((n) => path.join(lib, n));
}
