// Configuration from the environment is read only at the edges: the CLI and the worker honour
// CT2_WHISPER_CACHE, CT2_WHISPER_VAD_MODEL, FFMPEG_PATH and the HF_* variables; the library's
// functions ignore them and take parameters, with defaults that do not depend on them.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, fixture, cache, modelDir, tmpDir, runCli as runCliWith, assertWords } from './helpers.mjs';
import { startHubStandIn } from './servers.mjs';
import { settingsFromEnv, hubOptionsFromEnv } from '../lib/env.js';

const vadFile = path.join(cache, 'models', 'silero_vad_v6.onnx');

/** The test's environment without the variables under test. */
function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(CT2_WHISPER_CACHE|CT2_WHISPER_VAD_MODEL|FFMPEG_PATH|XDG_CACHE_HOME|HUGGING_FACE_HUB_TOKEN)$|^HF_|^RUNPOD_|^STORAGE_/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

/** Runs the CLI to its end, asynchronously (a server in this process may have to answer it). */
function runCli(args, env, cwd = root) {
  return runCliWith(args, { cwd, env });
}

/** A ct2-whisper cache holding only tiny.en (linked to the real one). */
function cacheWithTiny(t) {
  const dir = tmpDir(t);
  fs.mkdirSync(path.join(dir, 'models'));
  fs.symlinkSync(modelDir('tiny.en'), path.join(dir, 'models', 'tiny.en'));
  return dir;
}

function opusFile(t) {
  const file = path.join(tmpDir(t), 'jfk.opus');
  const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', fixture('jfk.flac'), '-c:a', 'libopus', file]);
  t.equal(r.status, 0, 'made opus with ffmpeg');
  return file;
}

t.test('settingsFromEnv: the variables the edges read, and their defaults', async (t) => {
  const home = os.homedir();
  t.same(settingsFromEnv({}), {
    cacheDir: path.join(home, '.cache', 'ct2-whisper'),
    hub: { cacheDir: path.join(home, '.cache', 'huggingface', 'hub'), offline: false },
    vadModelPath: path.join(home, '.cache', 'ct2-whisper', 'models', 'silero_vad_v6.onnx'),
  });
  t.same(settingsFromEnv({ CT2_WHISPER_CACHE: '/c', FFMPEG_PATH: '/bin/ff', HF_HOME: '/hf', HF_ENDPOINT: 'http://hub.local/', HF_TOKEN: 'hf_x', HF_HUB_OFFLINE: 'YES' }), {
    cacheDir: '/c',
    hub: { cacheDir: '/hf/hub', offline: true, endpoint: 'http://hub.local/', token: 'hf_x' },
    vadModelPath: '/c/models/silero_vad_v6.onnx',
    ffmpegPath: '/bin/ff',
  });
  t.equal(settingsFromEnv({ CT2_WHISPER_CACHE: '/c', CT2_WHISPER_VAD_MODEL: '/v.onnx' }).vadModelPath, '/v.onnx');
  t.equal(hubOptionsFromEnv({ HF_HUB_CACHE: '/h', HF_HOME: '/hf' }).cacheDir, '/h', 'HF_HUB_CACHE wins over HF_HOME');
  t.equal(hubOptionsFromEnv({ XDG_CACHE_HOME: '/x' }).cacheDir, '/x/huggingface/hub');
  t.equal(hubOptionsFromEnv({ HUGGING_FACE_HUB_TOKEN: 'hf_old' }).token, 'hf_old');
  t.equal(hubOptionsFromEnv({ HF_HUB_OFFLINE: '0' }).offline, false);
  t.same(settingsFromEnv({ CT2_WHISPER_CACHE: '', FFMPEG_PATH: ' ' }), settingsFromEnv({}), 'empty counts as unset');
});

t.test('the library ignores the environment and takes parameters', async (t) => {
  const home = tmpDir(t);
  const hubCache = tmpDir(t);
  const opus = opusFile(t);
  // Every variable points somewhere that would change the answer if the library read it.
  const env = cleanEnv({
    HOME: home,
    CT2_WHISPER_CACHE: cache,
    CT2_WHISPER_VAD_MODEL: vadFile,
    FFMPEG_PATH: '/nonexistent/ffmpeg',
    HF_HUB_CACHE: hubCache,
    HF_ENDPOINT: 'http://127.0.0.1:9',
    HF_HUB_OFFLINE: '1',
  });
  const script = `
    import * as lib from ${JSON.stringify(path.join(root, 'lib', 'index.js'))};
    import { hubEndpoint } from ${JSON.stringify(path.join(root, 'lib', 'hub-download.js'))};
    import { ffmpegPath } from ${JSON.stringify(path.join(root, 'lib', 'ffmpeg.js'))};
    const out = {};
    const attempt = async (name, f) => { try { out[name] = { ok: await f() }; } catch (e) { out[name] = { error: e.message, code: e.code }; } };
    await attempt('cacheDir', () => lib.cacheDir());
    await attempt('hubCacheDir', () => lib.hubCacheDir());
    await attempt('hubEndpoint', () => hubEndpoint());
    await attempt('ffmpegPath', () => ffmpegPath());
    await attempt('defaultLocalModel', () => lib.defaultLocalModel().dir);
    await attempt('defaultLocalModelGiven', () => lib.defaultLocalModel({ cacheDir: ${JSON.stringify(cache)} }).name);
    await attempt('vadModelPath', () => lib.vadModelPath());
    await attempt('vadModelPathGiven', () => lib.vadModelPath(${JSON.stringify(vadFile)}));
    await attempt('speech', async () => (await lib.getSpeechTimestamps(new Float32Array(16000))).length);
    await attempt('opus', async () => (await lib.decodeAudio(${JSON.stringify(opus)}))[0].length > 16000 * 10);
    await attempt('opusGiven', async () => (await lib.decodeAudio(${JSON.stringify(opus)}, { ffmpegPath: '/nonexistent/ffmpeg' }))[0].length);
    process.stdout.write(JSON.stringify(out));
  `;
  const file = path.join(tmpDir(t), 'script.mjs');
  fs.writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { env, encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, r.stderr.slice(-500));
  const out = JSON.parse(r.stdout);
  t.same(out.cacheDir, { ok: path.join(home, '.cache', 'ct2-whisper') }, 'cacheDir(): the default, not CT2_WHISPER_CACHE');
  t.same(out.hubCacheDir, { ok: path.join(home, '.cache', 'huggingface', 'hub') }, 'hubCacheDir(): the default, not HF_HUB_CACHE');
  t.same(out.hubEndpoint, { ok: 'https://huggingface.co' }, 'hubEndpoint(): not HF_ENDPOINT');
  t.same(out.ffmpegPath, { ok: 'ffmpeg' }, 'ffmpegPath(): not FFMPEG_PATH');
  t.match(out.defaultLocalModel, { error: `no model given and none in ${path.join(home, '.cache', 'ct2-whisper', 'models')}`, code: 'ERR_MODEL' }, 'defaultLocalModel(): the default cache only');
  t.same(out.defaultLocalModelGiven, { ok: 'base' }, 'defaultLocalModel({ cacheDir }): that cache');
  t.match(out.vadModelPath?.error, /^the VAD model was not found at .*\(the default\): pass vadModelPath/, 'vadModelPath(): the default only, and the error names the option to pass');
  t.equal(out.vadModelPath?.code, 'ERR_MODEL');
  t.same(out.vadModelPathGiven, { ok: vadFile });
  t.match(out.speech?.error, /pass vadModelPath/, 'VAD without a model path: the error says which option to pass');
  t.same(out.opus, { ok: true }, 'ffmpeg from PATH, not FFMPEG_PATH');
  t.match(out.opusGiven?.error, /ffmpeg was not found \(tried "\/nonexistent\/ffmpeg"\); install ffmpeg or pass ffmpegPath/, 'the ffmpegPath option is used');
});

t.test('the CLI honours CT2_WHISPER_CACHE and the HF_* variables', async (t) => {
  const withTiny = cacheWithTiny(t);
  const empty = tmpDir(t);
  const emptyHub = tmpDir(t);
  const jfk = fixture('jfk.flac');

  const byDefault = await runCli(['transcribe', jfk, '--threads', '2'], cleanEnv({ CT2_WHISPER_CACHE: withTiny }));
  t.equal(byDefault.status, 0, byDefault.stderr);
  assertWords(t, byDefault.stdout, 'the default model from CT2_WHISPER_CACHE');
  t.match(byDefault.stderr, /the default model "small" is not in the cache; using "tiny\.en"/);

  // With no --model, the best model in the cache: base over tiny.en, and a model ranked above
  // the default (here base's files under the name large-v3) over it.
  const ranked = tmpDir(t);
  fs.mkdirSync(path.join(ranked, 'models'));
  for (const [name, from] of [['tiny.en', 'tiny.en'], ['base', 'base']]) fs.symlinkSync(modelDir(from), path.join(ranked, 'models', name));
  const best = await runCli(['transcribe', jfk, '--threads', '2', '--format', 'json'], cleanEnv({ CT2_WHISPER_CACHE: ranked }));
  t.equal(best.status, 0, best.stderr);
  t.match(best.stderr, /the default model "small" is not in the cache; using "base"/, 'base over tiny.en');
  fs.symlinkSync(modelDir('base'), path.join(ranked, 'models', 'large-v3'));
  const better = await runCli(['transcribe', jfk, '--threads', '2'], cleanEnv({ CT2_WHISPER_CACHE: ranked }));
  t.equal(better.status, 0, better.stderr);
  t.match(better.stderr, /using "large-v3", the best model in the cache/, 'a model ranked above the default is used');

  const none = await runCli(['transcribe', jfk], cleanEnv({ CT2_WHISPER_CACHE: empty }));
  t.equal(none.status, 1);
  t.match(none.stderr, `no model given and none in ${path.join(empty, 'models')}`);

  const offline = await runCli(['transcribe', jfk, '--model', 'tiny.en'], cleanEnv({ CT2_WHISPER_CACHE: empty, HF_HUB_CACHE: emptyHub, HF_HUB_OFFLINE: '1' }));
  t.equal(offline.status, 1);
  t.match(offline.stderr, `model Systran/faster-whisper-tiny.en is not in the Hugging Face cache (${emptyHub}) and the Hub is offline`);

  const hub = await startHubStandIn(t, 'Systran/faster-whisper-tiny.en', modelDir('tiny.en'));
  const hubCache = tmpDir(t);
  const fromHub = await runCli(['transcribe', jfk, '--model', 'tiny.en', '--threads', '2'], cleanEnv({ CT2_WHISPER_CACHE: empty, HF_HOME: hubCache, HF_ENDPOINT: hub.base }));
  t.equal(fromHub.status, 0, fromHub.stderr);
  assertWords(t, fromHub.stdout, 'downloaded from HF_ENDPOINT');
  t.ok(fs.existsSync(path.join(hubCache, 'hub', 'models--Systran--faster-whisper-tiny.en', 'refs', 'main')), 'into $HF_HOME/hub');
  t.ok(hub.requests.length > 0, 'the stand-in Hub was asked');
});

t.test('the CLI honours FFMPEG_PATH', async (t) => {
  const opus = opusFile(t);
  const dir = tmpDir(t);
  const marker = path.join(dir, 'ran');
  const wrapper = path.join(dir, 'my-ffmpeg');
  fs.writeFileSync(wrapper, `#!/bin/sh\ntouch ${JSON.stringify(marker)}\nexec ffmpeg "$@"\n`, { mode: 0o755 });
  const env = cleanEnv();
  const ok = await runCli(['transcribe', opus, '--model', modelDir('tiny.en'), '--threads', '2'], { ...env, FFMPEG_PATH: wrapper });
  t.equal(ok.status, 0, ok.stderr);
  assertWords(t, ok.stdout);
  t.ok(fs.existsSync(marker), 'the ffmpeg named by FFMPEG_PATH ran');
  const missing = await runCli(['transcribe', opus, '--model', modelDir('tiny.en')], { ...env, FFMPEG_PATH: '/nonexistent/ffmpeg' });
  t.equal(missing.status, 1);
  t.match(missing.stderr, /ffmpeg was not found \(tried "\/nonexistent\/ffmpeg"\)/);
});

t.test('the worker honours CT2_WHISPER_CACHE, HF_HUB_OFFLINE and FFMPEG_PATH', async (t) => {
  const withTiny = cacheWithTiny(t);
  const empty = tmpDir(t);
  const emptyHub = tmpDir(t);
  const opus = opusFile(t);
  const run = async (input, env) => {
    const cwd = tmpDir(t);
    fs.writeFileSync(path.join(cwd, 'test_input.json'), JSON.stringify({ input }));
    const r = await runCli(['worker'], cleanEnv({ WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2', HF_HUB_CACHE: emptyHub, HF_HUB_OFFLINE: '1', ...env }), cwd);
    return { ...r, result: JSON.parse(r.stdout.trim().split('\n').pop()) };
  };
  const b64 = fs.readFileSync(fixture('jfk.flac')).toString('base64');
  const found = await run({ audio_base_64: b64 }, { CT2_WHISPER_CACHE: withTiny });
  t.equal(found.status, 0, found.stderr.slice(-500));
  assertWords(t, found.result.output.transcription, "the worker's model from CT2_WHISPER_CACHE");
  const missing = await run({ audio_base_64: b64 }, { CT2_WHISPER_CACHE: empty });
  t.equal(missing.status, 1);
  t.match(missing.result.error, `is not in the Hugging Face cache (${emptyHub}) and the Hub is offline`, 'HF_HUB_CACHE and HF_HUB_OFFLINE');
  t.equal(missing.result.refresh_worker, true, "the worker's own model missing: a worker fault");
  const noFfmpeg = await run({ audio_base_64: fs.readFileSync(opus).toString('base64') }, { CT2_WHISPER_CACHE: withTiny, FFMPEG_PATH: '/nonexistent/ffmpeg' });
  t.equal(noFfmpeg.status, 1);
  t.match(noFfmpeg.result.error, /ffmpeg was not found \(tried "\/nonexistent\/ffmpeg"\)/, 'FFMPEG_PATH');
});
