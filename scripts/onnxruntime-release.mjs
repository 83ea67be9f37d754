// ONNX Runtime's released library: the `libonnxruntime.so.<version>` that ONNX Runtime's own
// release ships in its `onnxruntime` PyPI wheel (CPU), with its licence and third-party notices.
// Fetched with pip into ${CT2_WHISPER_CACHE:-~/.cache/ct2-whisper}/onnxruntime/<version>/, once.
// The version is pinned in native/Cargo.toml ([package.metadata.onnxruntime]) and must be the
// ONNX Runtime minor version the `ort` crate's `api-NN` feature there is for. The addon loads the
// library at run time from its own directory (native/src/onnx/runtime.rs), so nothing links it.
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, cargoMetadata, root, run, wheelPin } from './ctranslate2-release.mjs';

const manifest = path.join(root, 'native', 'Cargo.toml');

/** ONNX Runtime's pin: { version, platform, python } from native/Cargo.toml. */
export function pinned() {
  return wheelPin('onnxruntime');
}

/** Fails unless the pinned ONNX Runtime is the minor version of ort's `api-NN` feature in native/Cargo.toml. */
export function checkPin() {
  const { version } = pinned();
  const own = cargoMetadata().packages.find((p) => p.manifest_path === manifest);
  const ort = own.dependencies.find((d) => d.name === 'ort');
  const api = Math.max(...(ort?.features ?? []).map((f) => /^api-(\d+)$/.exec(f)?.[1]).filter(Boolean).map(Number));
  const minor = Number(version.split('.')[1]);
  if (!Number.isFinite(api) || minor !== api) {
    throw new Error(
      `ONNX Runtime pin mismatch: native/Cargo.toml pins ONNX Runtime ${version}, but its ort dependency asks for API ${api} ` +
        `(feature api-${api}): pin [package.metadata.onnxruntime] and ort's api-NN feature together`,
    );
  }
  return version;
}

/** The library's file name, as the addon looks for it beside itself. */
export function libraryName() {
  return `libonnxruntime.so.${pinned().version}`;
}

/** The folder holding libonnxruntime.so.<version>, LICENSE and ThirdPartyNotices.txt; fetched when missing. */
export function releaseDir() {
  const { version, platform, python } = pinned();
  const dir = path.join(cacheDir, 'onnxruntime', version);
  if (fs.existsSync(path.join(dir, 'complete'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const wheels = path.join(dir, 'wheel');
  console.error(`fetching ONNX Runtime ${version}'s released library (the onnxruntime wheel from PyPI)`);
  run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:',
    '--platform', platform, '--python-version', python, '--implementation', 'cp', '-d', wheels, `onnxruntime==${version}`], { stdio: ['ignore', 'inherit', 'pipe'] });
  const wheel = fs.readdirSync(wheels).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip left no wheel in ${wheels}`);
  // The library as it is (its soname and $ORIGIN runpath kept), the licence and the notices.
  run('python3', ['-c', `
import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1]); out = sys.argv[2]; version = sys.argv[3]
want = {'onnxruntime/capi/libonnxruntime.so.' + version: 'libonnxruntime.so.' + version,
        'onnxruntime/LICENSE': 'LICENSE', 'onnxruntime/ThirdPartyNotices.txt': 'ThirdPartyNotices.txt'}
names = set(z.namelist())
missing = [n for n in want if n not in names]
if missing: sys.exit('the wheel does not hold ' + ', '.join(missing))
for n, to in want.items():
    with open(os.path.join(out, to), 'wb') as f: f.write(z.read(n))
`, path.join(wheels, wheel), dir, version]);
  fs.rmSync(wheels, { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, 'complete'), `${wheel}\n`);
  return dir;
}

/** The library to ship beside the .node. */
export function releaseLibrary() {
  return path.join(releaseDir(), libraryName());
}

/** The licence texts to ship with it: { name in licenses/: path }. */
export function releaseLicenses() {
  const dir = releaseDir();
  return { 'onnxruntime-LICENSE': path.join(dir, 'LICENSE'), 'onnxruntime-ThirdPartyNotices.txt': path.join(dir, 'ThirdPartyNotices.txt') };
}
