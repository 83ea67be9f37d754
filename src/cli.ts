#!/usr/bin/env node
// ct2-whisper's command line: `ct2-whisper transcribe <input...> [options]`. One of the two places
// that read the environment (the other is the worker's entry, which this hands it to):
// CT2_WHISPER_CACHE, CT2_WHISPER_VAD_MODEL, FFMPEG_PATH and the HF_* variables become the
// library's options here (env.ts).
import fs from 'node:fs/promises';
import { constants as fsConstants, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WhisperModel, type Device, type ComputeType, type TranscribeOptions } from './model.js';
import { render, FORMATS, type Format } from './formats.js';
import { MAX_TEMPERATURE, MAX_TEMPERATURES } from './options.js';
import { defaultLocalModel, resolveModel } from './model-path.js';
import { settingsFromEnv, type Env } from './env.js';

const USAGE = `usage: ct2-whisper transcribe <input...> [options]
       ct2-whisper worker [--test_input JSON] [--rp_serve_api [--rp_api_port N]]   (RunPod serverless worker)

  --model <dir|name|id>   model directory, a name (tiny … large-v3, turbo; local cache first, then
                          the Hugging Face Hub) or a Hub repository id (default: small from the cache)
  --device <d>            auto | cpu | cuda (default auto)
  --compute-type <t>      auto | int8 | int8_float32 | int8_float16 | float16 | float32 (default auto)
  --threads <n>           CPU threads (1 to 4 per core)
  --language <code>       language code (default: detected)
  --task <t>              transcribe | translate
  --beam-size <n>         beam size, 1 to 10 (default 5)
  --temperature <t[,t]>   temperature, or the fallback list (each 0 to 2, at most 21)
  --initial-prompt <s>    text to condition the first window on
  --word-timestamps       add word timestamps
  --split-channels        transcribe each channel on its own
  --format <f>            json | text | srt | vtt (default text)
  --output <path>         write there instead of stdout: a file, or a directory (one file per input,
                          named after it; inputs with the same name get -2, -3, ...)
  --progress              print progress to stderr
`;

class UsageError extends Error {}

/** An integer option within [min, max]; `why` explains the bounds in the message. */
function intArg(name: string, v: string | undefined, min: number, max: number, why = ''): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}${why}, got ${JSON.stringify(v)}`);
  }
  return n;
}


/** `--temperature 0.2` or a fallback list `0,0.2,0.4`: every item a number from 0 to 2. */
function temperatureArg(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  const expected = `a number from 0 to ${MAX_TEMPERATURE} or a comma-separated list of at most ${MAX_TEMPERATURES} of them`;
  if (parts.length > MAX_TEMPERATURES) throw new UsageError(`--temperature must be ${expected}, got ${parts.length} values`);
  const list: number[] = [];
  for (const [i, p] of parts.entries()) {
    const where = parts.length > 1 ? ` (item ${i + 1} of ${JSON.stringify(v)})` : '';
    if (p === '') throw new UsageError(`--temperature must be ${expected}; ${v.trim() === '' ? 'it is empty' : `item ${i + 1} of ${JSON.stringify(v)} is empty`}`);
    const t = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(p) ? Number(p) : NaN;
    if (!Number.isFinite(t)) throw new UsageError(`--temperature must be ${expected}; ${JSON.stringify(p)}${where} is not a number`);
    if (t < 0) throw new UsageError(`--temperature must be 0 or more, got ${JSON.stringify(p)}${where}`);
    if (t > MAX_TEMPERATURE) throw new UsageError(`--temperature must be at most ${MAX_TEMPERATURE}, got ${JSON.stringify(p)}${where}`);
    list.push(t);
  }
  return list;
}

const statOrUndefined = (p: string): Promise<Stats | undefined> => fs.stat(p).catch(() => undefined);

/**
 * Where each input's transcript goes (undefined: stdout), decided and checked before any work:
 * the inputs exist, every output's directory exists (a directory for several inputs is created)
 * and is writable, no output is a directory or one of the inputs, and no two outputs are the same
 * file (inputs with the same name get "-2", "-3", ... in a directory).
 */
async function planOutputs(inputs: string[], output: string | undefined, format: Format): Promise<Array<string | undefined>> {
  for (const input of inputs) {
    const st = await statOrUndefined(input);
    if (!st) throw new Error(`audio file not found: ${input}`);
    if (st.isDirectory()) throw new Error(`audio path is a directory, not a file: ${input}`);
  }
  if (output === undefined) return inputs.map(() => undefined);
  if (output === '') throw new UsageError('--output must be a path, got ""');
  const ext = format === 'text' ? 'txt' : format;
  const outStat = await statOrUndefined(output);
  let files: string[];
  const wantsDir = output.endsWith('/') || output.endsWith(path.sep);
  if (inputs.length > 1 || wantsDir || outStat?.isDirectory()) {
    if (outStat && !outStat.isDirectory()) throw new Error(`--output must be a directory when there are several inputs, and ${output} is a file`);
    if (!outStat) {
      try {
        await fs.mkdir(output, { recursive: true });
      } catch (e) {
        throw new Error(`--output: cannot create the directory ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    // Names that collide (case-insensitively: some file systems fold case) get -2, -3, ...
    const taken = new Set<string>();
    const natural = inputs.map((i) => `${path.parse(i).name}.${ext}`);
    for (const n of natural) taken.add(n.toLowerCase());
    const used = new Set<string>();
    files = natural.map((name, i) => {
      let pick = name;
      if (used.has(name.toLowerCase())) {
        const base = path.parse(inputs[i]).name;
        for (let k = 2; ; k++) {
          pick = `${base}-${k}.${ext}`;
          if (!taken.has(pick.toLowerCase()) && !used.has(pick.toLowerCase())) break;
        }
        process.stderr.write(`ct2-whisper: ${inputs[i]} -> ${path.join(output, pick)} (another input has the same name)\n`);
      }
      used.add(pick.toLowerCase());
      return path.join(output, pick);
    });
  } else {
    const dir = path.dirname(output);
    const dirStat = await statOrUndefined(dir);
    if (!dirStat) throw new Error(`--output: the directory ${dir} does not exist`);
    if (!dirStat.isDirectory()) throw new Error(`--output: ${dir} is not a directory`);
    files = [output];
  }
  const inputPaths = new Set(inputs.map((i) => path.resolve(i)));
  for (const file of files) {
    const st = await statOrUndefined(file);
    if (st?.isDirectory()) throw new Error(`--output: ${file} is a directory`);
    if (inputPaths.has(path.resolve(file))) throw new Error(`--output: ${file} is one of the inputs; it would be overwritten`);
    try {
      await fs.access(st ? file : path.dirname(file), fsConstants.W_OK);
    } catch {
      throw new Error(`--output: ${st ? file : path.dirname(file)} is not writable`);
    }
  }
  return files;
}

async function transcribeCommand(argv: string[], env: Env): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      device: { type: 'string' },
      'compute-type': { type: 'string' },
      threads: { type: 'string' },
      language: { type: 'string' },
      task: { type: 'string' },
      'beam-size': { type: 'string' },
      temperature: { type: 'string' },
      'initial-prompt': { type: 'string' },
      'word-timestamps': { type: 'boolean' },
      'split-channels': { type: 'boolean' },
      format: { type: 'string' },
      output: { type: 'string' },
      progress: { type: 'boolean' },
    },
  });
  if (positionals.length === 0) throw new UsageError('no input file given');
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(values.format)}`);
  if (values.task !== undefined && values.task !== 'transcribe' && values.task !== 'translate') {
    throw new UsageError(`--task must be transcribe or translate, got ${JSON.stringify(values.task)}`);
  }
  // Every option and every path is checked before a model is resolved, downloaded or loaded.
  const cores = os.availableParallelism();
  const cpuThreads = intArg('threads', values.threads, 1, cores * 4, ` (at most 4 per core; ${cores} cores here)`);
  const beamSize = intArg('beam-size', values['beam-size'], 1, 10);
  const temperature = temperatureArg(values.temperature);
  const outputs = await planOutputs(positionals, values.output, format);
  const settings = settingsFromEnv(env);
  // No --model: the default from the local cache; a name or Hub id may download from the Hub.
  const resolved = values.model ? await resolveModel(values.model, settings) : defaultLocalModel(settings);
  if (resolved.note) process.stderr.write(`ct2-whisper: ${resolved.note}\n`);
  const model = await WhisperModel.load(resolved.dir, {
    device: (values.device ?? 'auto') as Device,
    computeType: (values['compute-type'] ?? 'auto') as ComputeType,
    cpuThreads,
  });
  const options: TranscribeOptions = {
    language: values.language,
    task: values.task as TranscribeOptions['task'],
    beamSize,
    temperature,
    initialPrompt: values['initial-prompt'],
    wordTimestamps: values['word-timestamps'],
    splitChannels: values['split-channels'],
    vadModelPath: settings.vadModelPath,
  };
  if (settings.ffmpegPath) options.ffmpegPath = settings.ffmpegPath;
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  options.signal = ac.signal;
  if (values.progress) {
    options.onProgress = (done, total) => process.stderr.write(`\rct2-whisper: ${done.toFixed(1)} / ${total.toFixed(1)} s`);
  }
  try {
    for (const [i, input] of positionals.entries()) {
      const result = await model.transcribe(input, options);
      if (values.progress) process.stderr.write('\n');
      const text = render(result, format);
      const file = outputs[i];
      if (file === undefined) process.stdout.write(text);
      else await fs.writeFile(file, text);
    }
  } finally {
    model.dispose();
  }
}

export async function main(argv: string[], env: Env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'transcribe') {
      await transcribeCommand(rest, env);
    } else if (command === 'worker') {
      const { workerMain } = await import('./worker/main.js');
      return await workerMain(rest, env);
    } else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    } else {
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
    return 0;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    process.stderr.write(`ct2-whisper: ${msg}\n`);
    if (e instanceof UsageError) process.stderr.write(USAGE);
    return e instanceof UsageError ? 2 : 1;
  }
}

main(process.argv.slice(2), process.env).then((code) => {
  process.exitCode = code;
});
