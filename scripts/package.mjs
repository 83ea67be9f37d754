#!/usr/bin/env node
// `npm run package`: builds the addon and lib/, fills the platform package
// (npm/linux-x64-gnu: the .node, CTranslate2's released library, its libgomp, ONNX Runtime's
// released library, licence texts)
// and writes every tarball into dist/: ct2-whisper-<version>.tgz and
// ct2-whisper-linux-x64-gnu-<version>.tgz. Installing both (npm install dist/*.tgz) needs no
// compiler, cargo or cmake. Usage: node scripts/package.mjs [--no-build] [--out DIR]
// (--out: write the tarballs there instead of dist/; the packages are staged in temporary
// folders, so that two runs at once, as tests do, never share a file.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, crateDir, root } from './ctranslate2-release.mjs';
import { libraryName as onnxRuntimeName, releaseLicenses as onnxRuntimeLicenses } from './onnxruntime-release.mjs';

const platform = 'linux-x64-gnu';
const pkgDir = path.join(root, 'npm', platform);
const outArg = process.argv.indexOf('--out');
const dist = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'dist');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`package: ${cmd} ${args.join(' ')} failed`);
    process.exit(1);
  }
  return r;
}

if (`${process.platform}-${process.arch}` !== 'linux-x64') {
  console.error(`package: only ${platform} is packaged here (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}
if (!process.argv.includes('--no-build')) {
  run(process.execPath, ['scripts/build-native.mjs']);
  run('npx', ['tsc', '-p', 'tsconfig.json']);
}

// The tarballs are written into a fresh `dist`, each package staged in a folder of its own there.
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });
function stageDir() {
  const stage = fs.mkdtempSync(path.join(dist, '.stage-'));
  process.on('exit', () => fs.rmSync(stage, { recursive: true, force: true }));
  return stage;
}

// The platform package: its package.json and notices from npm/, the payload and licences added.
const platformStage = stageDir();
for (const name of fs.readdirSync(pkgDir)) {
  if (!(name.endsWith('.node') || name.includes('.so') || name === 'licenses')) fs.cpSync(path.join(pkgDir, name), path.join(platformStage, name), { recursive: true });
}
const nativeDir = path.join(root, 'native');
const payload = fs.readdirSync(nativeDir).filter((n) => n === `ct2-whisper.${platform}.node` || /^lib(ctranslate2|gomp)-.*\.so/.test(n) || n === onnxRuntimeName());
if (!payload.some((n) => n.endsWith('.node')) || !payload.some((n) => n.startsWith('libctranslate2'))) {
  console.error('package: native/ has no prebuilt-library build of the addon (run node scripts/build-native.mjs without --from-source)');
  process.exit(1);
}
if (!payload.includes(onnxRuntimeName())) {
  console.error(`package: native/ has no ${onnxRuntimeName()} beside the addon (run node scripts/build-native.mjs)`);
  process.exit(1);
}
for (const name of payload) fs.copyFileSync(path.join(nativeDir, name), path.join(platformStage, name));

// Licence texts, from the sources of the components the build reads.
const licenses = path.join(platformStage, 'licenses');
fs.mkdirSync(licenses);
const ct2 = path.join(crateDir('ct2rs'), 'CTranslate2');
const texts = {
  'CTranslate2-LICENSE': path.join(ct2, 'LICENSE'),
  'cpu_features-LICENSE': path.join(ct2, 'third_party', 'cpu_features', 'LICENSE'),
  'spdlog-LICENSE': path.join(ct2, 'third_party', 'spdlog', 'LICENSE'),
  'cutlass-LICENSE': path.join(ct2, 'third_party', 'cutlass', 'LICENSE.txt'),
  'libgomp-COPYING': '/usr/share/doc/libgomp1/copyright',
  'Intel-MKL-LICENSE': mklLicense(),
  ...onnxRuntimeLicenses(),
};
for (const [name, from] of Object.entries(texts)) {
  if (!fs.existsSync(from)) {
    console.error(`package: licence text for ${name} not found at ${from}`);
    process.exit(1);
  }
  fs.copyFileSync(from, path.join(licenses, name));
}
// oneDNN is under the Apache License 2.0, the same text as cpu_features' (its own sources are not
// fetched by a build that links the released library).
fs.writeFileSync(path.join(licenses, 'oneDNN-LICENSE'),
  'oneDNN (Copyright Intel Corporation), built into libctranslate2, is licensed under the Apache License, Version 2.0:\n\n' +
    fs.readFileSync(texts['cpu_features-LICENSE'], 'utf8'));

/** Intel's Simplified Software License, as Intel ships it in the mkl-include wheel (1.3 MB). */
function mklLicense() {
  const dir = path.join(cacheDir, 'licenses');
  const out = path.join(dir, 'Intel-Simplified-Software-License.txt');
  if (fs.existsSync(out)) return out;
  const tmp = fs.mkdtempSync(path.join(dir + '-'));
  try {
    run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '-d', tmp, 'mkl-include==2026.2.0']);
    const wheel = path.join(tmp, fs.readdirSync(tmp).find((f) => f.endsWith('.whl')));
    fs.mkdirSync(dir, { recursive: true });
    // Written beside, then renamed: a run at the same time never reads half a file.
    const part = `${out}.${process.pid}.part`;
    run('python3', ['-c', `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.endswith('.dist-info/LICENSE.txt'))
text = z.read(name)
assert text.startswith(b'Intel Simplified Software License'), text[:80]
open(sys.argv[2], 'wb').write(text)
`, wheel, part]);
    fs.renameSync(part, out);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/**
 * The main package as published: its files, and package.json with the platform package as an
 * optional dependency (added here, as napi-rs's pre-publish step does, not in the repository's
 * package.json, where npm would look for an unpublished package and the lockfile could not
 * satisfy `npm ci`).
 */
function stageMain() {
  const stage = stageDir();
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const platformPkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  if (platformPkg.version !== pkg.version) {
    console.error(`package: ${platformPkg.name} is at ${platformPkg.version}, ct2-whisper at ${pkg.version}: keep them equal`);
    process.exit(1);
  }
  pkg.optionalDependencies = { ...pkg.optionalDependencies, [platformPkg.name]: pkg.version };
  delete pkg.devDependencies;
  delete pkg.scripts;
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const entry of [...pkg.files, 'README.md']) {
    fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  }
  return stage;
}

// The tarballs.
for (const dir of [platformStage, stageMain()]) {
  const r = spawnSync('npm', ['pack', '--json', '--pack-destination', dist], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    console.error(`package: npm pack in ${dir} failed`);
    process.exit(1);
  }
  const [info] = JSON.parse(r.stdout);
  console.log(`${path.relative(root, path.join(dist, info.filename))}: ${(info.size / 1e6).toFixed(1)} MB packed, ${(info.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${info.entryCount} files`);
}
