// `ct2-whisper live [FILE|-]`: a recording (any ffmpeg input, or raw PCM16 with --raw) fed to
// model.live() at real-time pace (--pace N: N times faster; 0: as fast as it is processed), the
// turn in progress shown in place on a terminal, each turn's final text on its own line.
import { spawn } from 'node:child_process';
import type { EnvSettings } from '../env.js';
import { ffmpegPath, inputArgs } from '../ffmpeg.js';
import type { LoadOptions, WhisperModel } from '../model.js';
import type { LiveTranscriber } from '../live/index.js';
import { UsageError, boolArg, intArg, numberArg, parseFlags, spec, type FlagSpec } from './args.js';
import { transcribeOptionFlags, transcribeOptions } from './transcribe-options.js';

const CHUNK = 1600; // 100 ms at 16 kHz

export function liveSpecs(modelFlags: Array<[string, FlagSpec]>): Map<string, FlagSpec> {
  return new Map<string, FlagSpec>([...modelFlags, ...transcribeOptionFlags(), ['--raw', spec('bool')], ['--rate', spec()], ['--pace', spec()], ['--silence-ms', spec()]]);
}

/** ffmpeg's arguments: the input (a file, or stdin; raw PCM16 at --rate) to 16 kHz float on stdout. */
function ffmpegArgs(input: string, raw: boolean, rate: number): string[] {
  const from = raw ? ['-f', 's16le', '-ar', String(rate), '-ac', '1', '-i', 'pipe:0'] : input === '-' ? ['-i', 'pipe:0'] : inputArgs(input);
  return ['-nostdin', '-v', 'error', ...from, '-vn', '-ac', '1', '-ar', '16000', '-f', 'f32le', 'pipe:1'];
}

/** Prints the events: the turn so far in place on a terminal, finals on their own lines. */
async function print(live: LiveTranscriber, tty: boolean): Promise<void> {
  let shown = '';
  for await (const e of live) {
    if (e.type === 'delta' && tty) {
      shown += e.delta;
      process.stdout.write(`\r\x1b[K${shown}`);
    } else if (e.type === 'completed') {
      process.stdout.write(`${tty ? '\r\x1b[K' : ''}${e.text}\n`);
      shown = '';
    } else if (e.type === 'failed' || e.type === 'error') {
      process.stderr.write(`ct2-whisper: ${e.type === 'failed' ? e.error.message : e.message}\n`);
    }
  }
}

export async function liveCommand(
  argv: string[],
  settings: EnvSettings,
  modelFlags: Array<[string, FlagSpec]>,
  load: (values: Map<string, string>) => LoadOptions,
  loadModel: (values: Map<string, string>, load: LoadOptions) => Promise<WhisperModel>,
): Promise<void> {
  const specs = liveSpecs(modelFlags);
  const { values, lists, positionals } = parseFlags(argv, specs);
  if (positionals.length > 1) throw new UsageError('live takes one input: a file, or - for stdin');
  const input = positionals[0] ?? '-';
  const raw = values.has('--raw') ? boolArg('--raw', values.get('--raw')!) : false;
  const rate = intArg('--rate', values.get('--rate'), 8000, 192_000) ?? 16000;
  const pace = values.has('--pace') ? numberArg('--pace', values.get('--pace')!) : 1;
  if (!(pace >= 0 && pace <= 1000)) throw new UsageError(`--pace must be from 0 (as fast as processed) to 1000, got ${pace}`);
  const silenceDurationMs = intArg('--silence-ms', values.get('--silence-ms'), 32, 10_000);
  const options = transcribeOptions(values, specs, settings, lists);
  const model = await loadModel(values, load(values));
  const live = model.live({ ...options, turnDetection: silenceDurationMs ? { silenceDurationMs } : undefined });
  const printing = print(live, process.stdout.isTTY === true);
  const ff = spawn(ffmpegPath(settings.ffmpegPath), ffmpegArgs(input, raw, rate), { stdio: [input === '-' || raw ? 'inherit' : 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  ff.stderr.on('data', (b: Buffer) => (stderr += b).length > 1e5 && (stderr = stderr.slice(-1e4)));
  const exited = new Promise<number | null>((resolve) => ff.on('close', resolve));
  let held = Buffer.alloc(0);
  let fed = 0;
  const t0 = performance.now();
  for await (const b of ff.stdout as AsyncIterable<Buffer>) {
    held = Buffer.concat([held, b]);
    while (held.length >= CHUNK * 4) {
      const bytes = held.subarray(0, CHUNK * 4);
      held = held.subarray(CHUNK * 4);
      live.push(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
      fed += CHUNK;
      if (pace === 0) await live.settled();
      else {
        const wait = (fed / 16) / pace - (performance.now() - t0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
  const code = await exited;
  if (code !== 0) {
    live.close();
    await printing;
    throw new UsageError(`ffmpeg could not read ${input === '-' ? 'stdin' : input}: ${stderr.trim().split('\n').pop()}`);
  }
  if (held.length >= 4) live.push(new Float32Array(held.buffer.slice(held.byteOffset, held.byteOffset + (held.length - (held.length % 4)))));
  await live.end();
  await printing;
  model.dispose();
}
