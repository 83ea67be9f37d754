// The packages as users get them: `npm run package` writes dist/*.tgz; installing them into an
// empty directory with no compiler, cargo or cmake on PATH and no install-script variables gives a
// working `npx ct2-whisper` (nothing but the npm registry is reached: no install script downloads
// anything), and so does `npm install --offline` from the npm cache that install warmed, with
// --vad-filter and --diarize (ONNX Runtime's library comes in the platform package). Also: what
// the installed addon links (ldd), the installed size, and that one OpenMP runtime is loaded.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { root, fixture, modelDir, tmpDir, assertWords } from './helpers.mjs';

const PLATFORM_PKG = 'ct2-whisper-linux-x64-gnu';
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function sh(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000, ...opts });
}

/**
 * A PATH holding node, npm, npx and the POSIX shell npm runs scripts with (as symlinks), so no
 * compiler or build tool can be found.
 */
function barePath(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const tool of ['node', 'npm', 'npx', 'sh']) {
    const found = sh('which', [tool]).stdout.trim();
    fs.symlinkSync(fs.realpathSync(found), path.join(bin, tool));
  }
  return bin;
}

// Packed into a folder of this test's own (the Docker test packs into dist/ at the same time).
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-package-'));
t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));

t.test('npm run package writes both tarballs', async (t) => {
  const r = sh('node', ['scripts/package.mjs', '--no-build', '--out', out], { cwd: root });
  t.equal(r.status, 0, r.stderr);
  const dist = fs.readdirSync(out).sort();
  t.same(dist, [`${PLATFORM_PKG}-${version}.tgz`, `ct2-whisper-${version}.tgz`].sort());
  const list = (tgz) => sh('tar', ['-tzf', path.join(out, tgz)]).stdout.split('\n').filter(Boolean);
  const platform = list(`${PLATFORM_PKG}-${version}.tgz`);
  for (const re of [/ct2-whisper\.linux-x64-gnu\.node$/, /libctranslate2-[0-9a-f]+\.so\.[0-9.]+$/, /libgomp-[0-9a-f]+\.so\./, /libonnxruntime\.so\.1\.[0-9.]+$/,
    /licenses\/CTranslate2-LICENSE$/, /licenses\/oneDNN-LICENSE$/, /licenses\/Intel-MKL-LICENSE$/, /licenses\/libgomp-COPYING$/,
    /licenses\/onnxruntime-LICENSE$/, /licenses\/onnxruntime-ThirdPartyNotices\.txt$/, /THIRD-PARTY-NOTICES\.md$/]) {
    t.ok(platform.some((f) => re.test(f)), `platform package holds ${re}`);
  }
  const main = list(`ct2-whisper-${version}.tgz`);
  t.ok(main.includes('package/native/binding.cjs') && main.includes('package/lib/cli.js'), 'main package holds the loader and lib/');
  t.ok(main.includes('package/web/index.html'), 'main package holds the page of `serve`');
  t.notOk(main.some((f) => f.endsWith('.node') || f.includes('.so')), 'main package carries no native binary');
  const mainJson = JSON.parse(sh('tar', ['-xzOf', path.join(out, `ct2-whisper-${version}.tgz`), 'package/package.json']).stdout);
  t.same(mainJson.optionalDependencies, { [PLATFORM_PKG]: version });
});

t.test('installed from dist/ with no compiler on PATH, npx ct2-whisper transcribes', async (t) => {
  const dir = tmpDir(t);
  const bin = barePath(dir);
  const env = { ...process.env, PATH: bin };
  // No install-script variables: nothing in the dependency tree may need one to install offline.
  for (const k of Object.keys(env)) if (/^ONNXRUNTIME_NODE_INSTALL|^npm_config_(offline|prefer_offline)$/i.test(k)) delete env[k];
  for (const tool of ['cc', 'gcc', 'g++', 'cargo', 'rustc', 'cmake', 'make']) {
    t.equal(sh(tool, ['--version'], { env }).error?.code, 'ENOENT', `${tool} is not on PATH`);
  }
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","private":true}\n');
  const tarballs = fs.readdirSync(out).map((f) => path.join(out, f));
  const inst = sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: app, env });
  t.equal(inst.status, 0, inst.stderr);
  const installed = path.join(app, 'node_modules', PLATFORM_PKG);
  t.ok(fs.existsSync(path.join(installed, 'ct2-whisper.linux-x64-gnu.node')), 'the platform package is installed');

  const r = sh('npx', ['--no-install', 'ct2-whisper', 'transcribe', fixture('jfk.flac'), '--model', modelDir('tiny.en'), '--format', 'text'], { cwd: app, env });
  t.equal(r.status, 0, r.stderr);
  assertWords(t, r.stdout);

  // `serve` from the installed package: its framework is a dependency and its page is shipped.
  const server = spawn(path.join(app, 'node_modules', '.bin', 'ct2-whisper'), ['serve', '--port', '0', '--model', modelDir('tiny.en')], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let err = '';
      server.stderr.on('data', (b) => { err += b; const m = /on (http:\/\/[^\s;,]+)/.exec(err); if (m) resolve(m[1]); });
      server.on('exit', (c) => reject(new Error(`serve exited (${c}): ${err}`)));
    });
    const page = await fetch(url);
    t.equal(page.status, 200);
    t.match(await page.text(), /<title>ct2-whisper<\/title>/, 'the installed server serves its page');
    t.equal((await (await fetch(`${url}/health`)).json()).default_model, 'tiny.en');
  } finally {
    server.kill('SIGTERM');
  }

  // Every shipped binary resolves all it needs on this stock Debian.
  for (const f of fs.readdirSync(installed).filter((n) => n.includes('.so') || n.endsWith('.node'))) {
    const ldd = sh('ldd', [path.join(installed, f)]);
    t.equal(ldd.status, 0, `ldd ${f}`);
    t.notMatch(ldd.stdout, /not found/, `${f}: no unresolved library`);
  }
  // The addon needs CTranslate2's library and the C/C++ runtime, nothing from ct2rs's
  // from-source link list (cpu_features, static cuBLAS) and no OpenMP runtime of its own.
  const needed = sh('readelf', ['-d', path.join(installed, 'ct2-whisper.linux-x64-gnu.node')]).stdout
    .split('\n').map((l) => /\(NEEDED\).*\[(.+)\]/.exec(l)?.[1]).filter(Boolean);
  t.ok(needed.some((n) => /^libctranslate2-[0-9a-f]+\.so\./.test(n)), `links the released libctranslate2 (${needed.join(', ')})`);
  t.notOk(needed.some((n) => /gomp|cublas|cudart|cpu_features|iomp/.test(n)), 'links no OpenMP, CUDA or cpu_features library itself');
  t.same(needed.filter((n) => !/^libctranslate2-/.test(n)).filter((n) => !/^(libz|libstdc\+\+|libgcc_s|libm|libc|ld-linux-x86-64)\.so/.test(n)), [], 'nothing else');

  // One OpenMP runtime in the process once a model and the VAD have run (the bundled libgomp,
  // beside the addon; ONNX Runtime has a thread pool of its own), and ONNX Runtime's library
  // loaded from the platform package, once, only when an ONNX model is used.
  const probe = `
    import { WhisperModel, getSpeechTimestamps } from 'ct2-whisper';
    import fs from 'node:fs';
    const mapped = () => [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter(Boolean))];
    const m = await WhisperModel.load(${JSON.stringify(modelDir('tiny.en'))}, { device: 'cpu' });
    const audio = new Float32Array(16000);
    await m.transcribe(audio);
    const before = mapped().filter((p) => /onnxruntime/.test(p));
    await getSpeechTimestamps(audio);
    const maps = mapped();
    console.log(JSON.stringify({ omp: maps.filter((p) => /gomp|iomp|omp\\.so/.test(p)), before, ort: maps.filter((p) => /onnxruntime/.test(p)) }));
    m.dispose();`;
  const p = sh('node', ['--input-type=module', '-e', probe], { cwd: app, env });
  t.equal(p.status, 0, p.stderr);
  const { omp, before, ort } = JSON.parse(p.stdout.trim().split('\n').pop());
  t.equal(omp.length, 1, `one OpenMP runtime: ${omp.join(', ')}`);
  t.match(omp[0], new RegExp(`${PLATFORM_PKG}/libgomp-`), 'the one shipped beside the addon');
  t.same(before, [], 'ONNX Runtime is not loaded before an ONNX model is used');
  t.equal(ort.length, 1, `one ONNX Runtime library: ${ort.join(', ')}`);
  t.match(ort[0], new RegExp(`${PLATFORM_PKG}/libonnxruntime\\.so\\.1\\.`), 'the one shipped beside the addon');

  // The installed size, for docs/install.md and the README.
  const mb = Number(sh('du', ['-sm', path.join(app, 'node_modules')]).stdout.split('\t')[0]);
  t.comment(`du -sm node_modules: ${mb} MB (${sh('du', ['-sh', path.join(app, 'node_modules')]).stdout.trim()})`);
  t.ok(mb < 200, `node_modules is ${mb} MB: under 200 MB (435 MB with onnxruntime-node)`);
  firstInstall.env = env;
});

/** The first install's environment (its npm cache is the warm one the next test installs from). */
const firstInstall = {};

t.test('npm install --offline from the warm cache: --vad-filter and --diarize work', async (t) => {
  t.ok(firstInstall.env, 'the first install ran');
  const dir = tmpDir(t);
  const env = { ...firstInstall.env, PATH: barePath(dir) };
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","private":true}\n');
  const tarballs = fs.readdirSync(out).map((f) => path.join(out, f));
  const inst = sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: app, env });
  t.equal(inst.status, 0, inst.stderr);
  const cli = (...args) => sh('npx', ['--no-install', 'ct2-whisper', 'transcribe', fixture('jfk.flac'), '--model', modelDir('tiny.en'), '--format', 'json', ...args], { cwd: app, env });
  // With these settings the VAD's first chunk of jfk.flac starts at 0.12 s (vad-probabilities.json).
  const vad = cli('--vad-filter', '--vad-min-silence-duration-ms', '500', '--vad-speech-pad-ms', '200');
  t.equal(vad.status, 0, vad.stderr);
  const v = JSON.parse(vad.stdout);
  assertWords(t, v.segments.map((s) => s.text).join(' '));
  t.ok(v.segments[0].start > 0 && v.segments[0].start < 1, `the speech starts after the silence the VAD removed (${v.segments[0].start} s)`);
  const diarized = cli('--diarize');
  t.equal(diarized.status, 0, diarized.stderr);
  const d = JSON.parse(diarized.stdout);
  t.equal(d.speakers?.length, 1, `one speaker: ${JSON.stringify(d.speakers)}`);
  t.ok(d.segments.every((s) => s.speaker === 'SPEAKER_00'), 'every segment labelled');
});
