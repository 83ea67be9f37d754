// The CUDA path, as far as a machine without a GPU can check it: the shipped library carries
// CUDA kernels and loads cuBLAS at run time; `cuda` fails clearly; `auto` falls back to the CPU;
// the GPU compute types are known names (and refused on the CPU by CTranslate2 itself).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, modelDir } from './helpers.mjs';
import { WhisperModel, cudaDeviceCount } from '../lib/index.js';

const nativeDir = path.join(root, 'native');
const library = fs.readdirSync(nativeDir).find((n) => /^libctranslate2-.*\.so\./.test(n));

t.test('the library beside the addon carries CUDA kernels and loads cuBLAS 12 itself', async (t) => {
  t.ok(library, 'libctranslate2 is beside the addon');
  const sections = spawnSync('readelf', ['-SW', path.join(nativeDir, library)], { encoding: 'utf8' }).stdout;
  t.match(sections, /\.nv_fatbin/, 'has a CUDA fat binary section');
  const strings = spawnSync('strings', ['-n', '8', path.join(nativeDir, library)], { encoding: 'utf8', maxBuffer: 512 << 20 }).stdout;
  t.match(strings, /^libcublas\.so\.12$/m, 'dlopens libcublas.so.12');
  t.match(strings, /^libcuda\.so\.1$/m, 'dlopens the driver, libcuda.so.1');
  const needed = spawnSync('readelf', ['-d', path.join(nativeDir, library)], { encoding: 'utf8' }).stdout;
  t.notMatch(needed, /NEEDED.*(cublas|cudart|cudnn|libcuda)/, 'needs no CUDA library to load on a CPU machine');
});

t.test('without a GPU: cuda fails clearly, auto runs on the CPU', { skip: cudaDeviceCount() > 0 && 'a GPU is visible' }, async (t) => {
  t.equal(cudaDeviceCount(), 0);
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { device: 'cuda' }), { name: 'InputError', message: /device "cuda" was asked for, but no CUDA device is visible/ });
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { device: 'cuda', computeType: 'float16' }), /no CUDA device is visible/);
  const auto = await WhisperModel.load(modelDir('tiny.en'), { device: 'auto', cpuThreads: 2 });
  t.equal(auto.device, 'cpu');
  t.equal(auto.computeType, 'int8', 'auto compute type on the CPU is int8');
  auto.dispose();
  for (const computeType of ['float16', 'int8_float16', 'bfloat16']) {
    await t.rejects(WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType }), /cannot load the model.*(float16|bfloat16)/i, `${computeType} is a known name, refused on the CPU by CTranslate2`);
  }
});
