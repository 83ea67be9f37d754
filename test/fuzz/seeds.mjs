// The fuzz run's seeds (test/fuzz-decoders.test.mjs, test/fuzz/child.mjs).
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * Small valid files, one per decoder path, of a synthetic signal (two chirps: no recording's bytes
 * end up in the corpus).
 */
export function makeSeeds(dir) {
  const source = ['-f', 'lavfi', '-i', 'aevalsrc=0.4*sin(2*PI*(200+300*t)*t)|0.3*sin(2*PI*(500-200*t)*t):s=44100:d=0.6'];
  const formats = {
    's16.wav': ['-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le'],
    'u8.wav': ['-ac', '1', '-ar', '8000', '-c:a', 'pcm_u8'],
    'f32.wav': ['-ac', '1', '-ar', '11025', '-c:a', 'pcm_f32le'],
    's24-stereo.wav': ['-ac', '2', '-ar', '22050', '-c:a', 'pcm_s24le', '-t', '0.3'],
    'mono.flac': ['-ac', '1', '-ar', '16000', '-c:a', 'flac'],
    'stereo.mp3': ['-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', '64k'],
    'aac.m4a': ['-ac', '1', '-ar', '16000', '-c:a', 'aac', '-b:a', '32k'],
    'faststart.m4a': ['-ac', '2', '-ar', '44100', '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart'],
    'vorbis.ogg': ['-ac', '1', '-ar', '16000', '-c:a', 'libvorbis', '-q:a', '2'],
  };
  const seeds = [];
  for (const [name, args] of Object.entries(formats)) {
    const file = path.join(dir, name);
    const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', ...source, ...args, file]);
    if (r.status !== 0) throw new Error(`ffmpeg could not make ${name}: ${r.stderr}`);
    seeds.push(file);
  }
  return seeds;
}
