// ffmpeg opens the one input and nothing else (issue 17, item 1): a playlist, a concat list, an
// image sequence or a `subfile:`/`data:` name handed to ffmpeg must not make it read a recording
// elsewhere on the host, through the library, the server's upload or a worker job's base64
// audio. Ordinary formats that only ffmpeg reads still decode.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeAudio } from '../lib/index.js';
import { fixture, tmpDir, words, runCli } from './helpers.mjs';
import { startServe } from './servers.mjs';

/** The recording "elsewhere on the host" that the attacks point at. */
const SECRET = fixture('jfk.flac');
const HLS = (entry) => `#EXTM3U\n#EXT-X-TARGETDURATION:3600\n#EXTINF:3600,\n${entry}\n#EXT-X-ENDLIST\n`;
const REFUSED = /in the (hls|concat|image2|[\w,]+) format, which is not read: only audio and video files are/;

function correlation(a, b) {
  const n = Math.min(a.length, b.length);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

/** Decodes `input`; the samples if it decoded (the leak), else the error. */
async function attempt(input, opts = {}) {
  try {
    const [samples] = await decodeAudio(input, opts);
    return { samples };
  } catch (e) {
    return { error: e };
  }
}

function refused(t, r, what, pattern = REFUSED) {
  t.notOk(r.samples, `${what}: nothing decoded${r.samples ? ` (it read ${(r.samples.length / 16000).toFixed(1)} s of the host's recording)` : ''}`);
  t.match(r.error?.message ?? '', pattern, `${what}: refused, saying why`);
}

t.test('the library: playlists, lists, sequences and protocol names are refused', async (t) => {
  const dir = tmpDir(t);
  // A symlink beside the list, to a recording elsewhere: relative names that leave the directory.
  fs.symlinkSync(SECRET, path.join(dir, 'rec.flac'));
  const b64 = fs.readFileSync(SECRET).toString('base64');
  const cases = {
    'hls, file:// URL': HLS(`file://${SECRET}`),
    'hls, absolute path': HLS(SECRET),
    'hls, relative symlink': HLS('rec.flac'),
    'hls, subfile:': HLS(`subfile,,start,0,end,0,,:${SECRET}`),
    'hls, data: URI': HLS(`data:audio/flac;base64,${b64}`),
    'concat, relative symlink': 'ffconcat version 1.0\nfile rec.flac\n',
    'concat, subfile:': `ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:${SECRET}'\n`,
  };
  for (const [what, body] of Object.entries(cases)) {
    const file = path.join(dir, `${what.replace(/\W+/g, '-')}.txt`);
    fs.writeFileSync(file, body);
    refused(t, await attempt(file), `${what} (a path)`);
    // From memory: written to a private temp directory, where relative names find nothing, but
    // absolute ones and URLs would.
    const fromBuffer = await attempt(Buffer.from(body));
    t.notOk(fromBuffer.samples, `${what} (a Buffer): nothing decoded`);
  }
  // A playlist reached through a symlink with an HLS name.
  fs.writeFileSync(path.join(dir, 'list.txt'), HLS(`file://${SECRET}`));
  fs.symlinkSync(path.join(dir, 'list.txt'), path.join(dir, 'list.m3u8'));
  refused(t, await attempt(path.join(dir, 'list.m3u8')), 'hls through a symlink named .m3u8');
});

t.test('the library: an image sequence is not read', async (t) => {
  const dir = tmpDir(t);
  // `img%d.png` exists (so the path checks pass); image2 would read img1.png, img2.png, ...
  const made = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=16x16:d=0.2:r=10', path.join(dir, 'img%d.png')]);
  t.equal(made.status, 0, 'made an image sequence');
  fs.copyFileSync(path.join(dir, 'img1.png'), path.join(dir, 'img%d.png'));
  refused(t, await attempt(path.join(dir, 'img%d.png')), 'img%d.png');
});

t.test('the library: a file named like a protocol URL is read as that file', async (t) => {
  const dir = tmpDir(t);
  // A relative path "subfile,,...,:/abs/path/jfk.flac" that exists under the working directory:
  // handed to ffmpeg as it is, ffmpeg reads it as subfile: of the absolute path.
  const name = `subfile,,start,0,end,0,,:${SECRET}`;
  fs.mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), 'not audio, but the name is a URL\n');
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  const sub = await attempt(name);
  t.notOk(sub.samples, `${name}: nothing decoded${sub.samples ? ` (it read ${(sub.samples.length / 16000).toFixed(1)} s of ${SECRET})` : ''}`);
  t.match(sub.error?.message ?? '', /not audio that can be decoded/, 'refused as what it is: a text file');
});

t.test('formats only ffmpeg reads still decode', async (t) => {
  const dir = tmpDir(t);
  const [reference] = await decodeAudio(SECRET, { decoder: 'native' });
  const make = (name, args) => {
    const file = path.join(dir, name);
    const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', SECRET, ...args, file]);
    return r.status === 0 ? file : undefined;
  };
  const formats = {
    'jfk.webm': ['-c:a', 'libopus'],
    'jfk.opus': ['-c:a', 'libopus'],
    'jfk.wma': ['-c:a', 'wmav2'],
    'jfk.aiff': ['-c:a', 'pcm_s16be'],
    'jfk.caf': ['-c:a', 'alac'],
    'jfk.au': [],
    'jfk.w64': [],
    'jfk.wv': ['-c:a', 'wavpack'],
    'jfk.tta': [],
    'jfk.ac3': [],
    'jfk.mka': ['-c:a', 'flac'],
    'jfk.spx': ['-ar', '16000', '-ac', '1', '-c:a', 'libspeex'],
    'jfk.3gp': ['-ar', '16000', '-ac', '1', '-c:a', 'aac'],
    'jfk.ts': ['-c:a', 'mp2'],
    'jfk.mpg': ['-c:a', 'mp2'],
    'jfk.nut': [],
    'jfk.voc': ['-ac', '1', '-ar', '8000', '-c:a', 'pcm_u8'],
    // Video with audio: a phone recording, a screen capture.
    'jfk.mp4': ['-f', 'lavfi', '-i', 'color=c=blue:s=64x64:r=5', '-map', '1:v', '-map', '0:a', '-shortest', '-c:v', 'libx264', '-c:a', 'aac'],
    'jfk.mkv': ['-f', 'lavfi', '-i', 'color=c=blue:s=64x64:r=5', '-map', '1:v', '-map', '0:a', '-shortest', '-c:v', 'libvpx', '-c:a', 'libvorbis'],
    'jfk.avi': ['-f', 'lavfi', '-i', 'color=c=blue:s=64x64:r=5', '-map', '1:v', '-map', '0:a', '-shortest', '-c:v', 'mpeg4', '-c:a', 'mp3'],
  };
  for (const [name, args] of Object.entries(formats)) {
    const file = make(name, args);
    if (!file) {
      t.comment(`${name}: this ffmpeg cannot make it; skipped`);
      continue;
    }
    for (const input of [file, fs.readFileSync(file)]) {
      const r = await attempt(input, { decoder: 'ffmpeg' });
      const from = typeof input === 'string' ? 'path' : 'Buffer';
      if (!r.samples) {
        t.fail(`${name} (${from}): ${r.error?.message}`);
        continue;
      }
      t.ok(Math.abs(r.samples.length / 16000 - 11) < 0.2, `${name} (${from}): ${(r.samples.length / 16000).toFixed(2)} s`);
      // Lossy codecs shift and smear: compare envelopes (100 ms RMS), which any decode of the recording matches.
      const env = (x) => Array.from({ length: Math.floor(x.length / 1600) }, (_, i) => Math.sqrt(x.subarray(i * 1600, (i + 1) * 1600).reduce((s, v) => s + v * v, 0) / 1600));
      t.ok(correlation(env(reference), env(r.samples)) > 0.9, `${name} (${from}): the recording's envelope`);
    }
  }
});

t.test('the server: a playlist uploaded as notes.txt is a 400, not a transcript', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en']);
  for (const [name, body] of [['notes.txt', HLS(`file://${SECRET}`)], ['notes.m3u8', HLS(SECRET)], ['list.txt', `ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:${SECRET}'\n`]]) {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([body]), name);
    const res = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    const text = await res.text();
    t.equal(res.status, 400, `${name}: 400`);
    t.notMatch(words(text), /ask not what your country/, `${name}: no transcript of the host's recording`);
    if (res.status === 400) {
      const err = JSON.parse(text).error;
      t.equal(err.param, 'file');
      t.equal(err.code, 'invalid_file_format');
    }
  }
  // An ordinary ffmpeg-only format still transcribes.
  const dir = tmpDir(t);
  const webm = path.join(dir, 'jfk.webm');
  t.equal(spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', SECRET, '-c:a', 'libopus', webm]).status, 0);
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('file', new Blob([fs.readFileSync(webm)]), 'jfk.webm');
  const ok = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  t.equal(ok.status, 200);
  t.match(words((await ok.json()).text), /ask not what your country can do for you/, 'a webm upload transcribes');
});

t.test('the worker: a playlist as a job\'s base64 audio fails the job', async (t) => {
  const dir = tmpDir(t);
  const env = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' };
  for (const k of Object.keys(env)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_')) delete env[k];
  const job = { input: { audio_base_64: Buffer.from(HLS(`file://${SECRET}`)).toString('base64') } };
  fs.writeFileSync(path.join(dir, 'test_input.json'), JSON.stringify(job));
  const r = await runCli(['worker'], { cwd: dir, env, timeoutMs: 300_000 });
  t.equal(r.status, 1, 'the job fails');
  t.match(r.result?.error ?? '', REFUSED, `the job's error says why: ${r.result?.error}`);
  t.notMatch(words(r.stdout + r.stderr), /ask not what your country/, 'no transcript of the host\'s recording anywhere');
});
