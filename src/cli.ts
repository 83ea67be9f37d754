#!/usr/bin/env node
// ct2-whisper's command line: `transcribe`, `detect-language`, `models`, `serve` (cli/serve.ts) and `worker`. One of the
// two places that read the environment (the other is the worker's entry, which this hands it
// to): CT2_WHISPER_CACHE, CT2_WHISPER_VAD_MODEL, FFMPEG_PATH and the HF_* variables become the
// library's options here (env.ts). Flags and their parsing are in cli/args.ts, output paths in
// cli/outputs.ts, the progress bar in cli/progress.ts, the model listing in cli/models.ts and
// the help in cli/usage.ts.
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WhisperModel, MAX_BATCH_SIZE, type Device, type ComputeType, type TranscribeOptions, type LoadOptions, type DetectLanguageOptions } from './model.js';
import { render } from './formats.js';
import { decodingOptions, type DecodingOptions } from './options.js';
import { defaultLocalModel, resolveModel } from './model-path.js';
import { settingsFromEnv, type Env, type EnvSettings } from './env.js';
import { InputError } from './errors.js';
import { native } from './native.js';
import { vadModelPath, type VadOptions } from './vad.js';
import { MAX_SPEAKERS, resolveDiarizationModels } from './diarize/index.js';
import {
  UsageError, decodingFlags, spec, vadFlags, parseFlags, intArg, numberArg, boolArg, valueOf, vadValue, toFlagMessage, type FlagSpec,
} from './cli/args.js';
import { planOutputs, formatsOf } from './cli/outputs.js';
import { ProgressBar, progressMode } from './cli/progress.js';
import { listCachedModels, renderModels } from './cli/models.js';
import { mainUsage, transcribeUsage, detectLanguageUsage, modelsUsage, serveUsage } from './cli/usage.js';

/** Flags that load the model and read the audio (transcribe and detect-language). */
const MODEL_FLAGS: Array<[string, FlagSpec]> = [
  ['--model', spec()],
  ['--device', spec()],
  ['--device-index', spec()],
  ['--compute-type', spec()],
  ['--threads', spec()],
  ['--decoder', spec()],
];

function transcribeSpecs(): Map<string, FlagSpec> {
  return new Map<string, FlagSpec>([
    ...MODEL_FLAGS,
    ...decodingFlags(),
    ['--temperature-increment-on-fallback', spec('number')],
    ['--split-channels', spec('bool')],
    ['--vad-filter', spec('bool')],
    ...vadFlags(),
    ['--batch-size', spec()],
    ['--diarize', spec('bool')],
    ['--min-speakers', spec()],
    ['--max-speakers', spec()],
    ['--speaker-sample', { kind: 'string', repeatable: true }],
    ['--format', spec()],
    ['--output', spec()],
    ['--output-dir', spec()],
    ['--progress', spec('bool')],
    ['--quiet', spec('bool')],
  ]);
}

function detectSpecs(): Map<string, FlagSpec> {
  const d = decodingFlags();
  return new Map<string, FlagSpec>([
    ...MODEL_FLAGS,
    ['--language-detection-segments', d.get('--language-detection-segments')!],
    ['--language-detection-threshold', d.get('--language-detection-threshold')!],
    ['--format', spec()],
  ]);
}

const wantsHelp = (argv: string[]) => argv.some((a) => a === '--help' || a === '-h');

/** CTranslate2's compute types (the engine says which the device supports). */
const COMPUTE_TYPES = ['auto', 'default', 'int8', 'int8_float32', 'int8_float16', 'int8_bfloat16', 'int16', 'float16', 'bfloat16', 'float32'];

/** Checked before any work; what the model loads with. */
function loadOptions(values: Map<string, string>): LoadOptions {
  const device = values.get('--device') ?? 'auto';
  if (!['auto', 'cpu', 'cuda'].includes(device)) throw new UsageError(`--device must be auto, cpu or cuda, got ${JSON.stringify(device)}`);
  const computeType = values.get('--compute-type') ?? 'auto';
  if (!COMPUTE_TYPES.includes(computeType)) throw new UsageError(`--compute-type must be one of ${COMPUTE_TYPES.join(', ')}, got ${JSON.stringify(computeType)}`);
  const cores = os.availableParallelism();
  const opts: LoadOptions = {
    device: device as Device,
    computeType: computeType as ComputeType,
    cpuThreads: intArg('--threads', values.get('--threads'), 1, cores * 4, ` (at most 4 per core; ${cores} cores here)`),
  };
  const index = intArg('--device-index', values.get('--device-index'), 0, 63);
  if (index !== undefined) opts.deviceIndex = index;
  return opts;
}

function decoderOf(values: Map<string, string>): TranscribeOptions['decoder'] {
  const d = values.get('--decoder');
  if (d === undefined) return undefined;
  if (d !== 'auto' && d !== 'native' && d !== 'ffmpeg') throw new UsageError(`--decoder must be auto, native or ffmpeg, got ${JSON.stringify(d)}`);
  return d;
}

/** --language: a code Whisper knows, or auto (detect). */
function languageArg(v: string | undefined): string | undefined {
  if (v === undefined || v.trim().toLowerCase() === 'auto') return undefined;
  const code = v.trim().toLowerCase();
  const codes = native().languageCodes();
  if (!codes.includes(code)) {
    throw new UsageError(`--language: unknown language code ${JSON.stringify(v)}; give one of Whisper's codes (${codes.slice(0, 6).join(', ')}, ...) or auto`);
  }
  return code;
}

/** The model: --model (a path, a cache name, a Hub name or id), else the default from the cache. */
async function loadModel(values: Map<string, string>, settings: EnvSettings, load: LoadOptions): Promise<WhisperModel> {
  const name = values.get('--model');
  const resolved = name ? await resolveModel(name, settings) : defaultLocalModel(settings);
  if (resolved.note) process.stderr.write(`ct2-whisper: ${resolved.note}\n`);
  return WhisperModel.load(resolved.dir, load);
}

/** Library option errors (InputError, naming the camelCase option) as usage errors naming the flag. */
function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(toFlagMessage(e.message));
    throw e;
  }
}

/** The transcribe options from the flags, every value checked (by the library too) before any work. */
/** --speaker-sample NAME=PATH, repeatable: a speaker's name and a recording of that speaker alone. */
function speakerSamplesArg(list: string[] | undefined): Array<{ name: string; audio: string }> {
  const samples = (list ?? []).map((v) => {
    const eq = v.indexOf('=');
    const name = eq < 0 ? '' : v.slice(0, eq).trim();
    const file = eq < 0 ? '' : v.slice(eq + 1);
    if (!name || !file) throw new UsageError(`--speaker-sample must be NAME=PATH (a speaker's name and a recording of that speaker alone), got ${JSON.stringify(v)}`);
    if (name.length > 200) throw new UsageError(`--speaker-sample: the name must be at most 200 characters, got ${name.length}`);
    let stat;
    try {
      stat = fsSync.statSync(file);
    } catch {
      throw new UsageError(`--speaker-sample ${name}: no such file: ${file}`);
    }
    if (!stat.isFile()) throw new UsageError(`--speaker-sample ${name}: not a file: ${file}`);
    return { name, audio: file };
  });
  const names = samples.map((x) => x.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`--speaker-sample names ${JSON.stringify(twice)} twice`);
  return samples;
}

function transcribeOptions(values: Map<string, string>, specs: Map<string, FlagSpec>, settings: EnvSettings, lists: Map<string, string[]> = new Map()): TranscribeOptions {
  const options: Record<string, unknown> = {};
  for (const [flag, spec] of specs) {
    const v = values.get(flag);
    if (v === undefined || !spec.option) continue;
    if (spec.option === 'language') options.language = languageArg(v);
    else if (spec.option === 'task') {
      if (v !== 'transcribe' && v !== 'translate') throw new UsageError(`--task must be transcribe or translate, got ${JSON.stringify(v)}`);
      options.task = v;
    } else if (spec.option === 'beamSize') options.beamSize = intArg('--beam-size', v, 1, 10);
    else options[spec.option] = valueOf(flag, spec.kind, v);
  }
  const step = values.get('--temperature-increment-on-fallback');
  if (step !== undefined) {
    const inc = numberArg('--temperature-increment-on-fallback', step);
    if (inc < 0.05 || inc > 1) throw new UsageError(`--temperature-increment-on-fallback must be a number from 0.05 to 1, got ${JSON.stringify(step)}`);
    const t = options.temperature as number[] | undefined;
    if (t && t.length > 1) throw new UsageError('--temperature-increment-on-fallback takes one --temperature to start from, not a list');
    const start = t?.[0] ?? 0;
    const count = start <= 1 ? Math.floor((1 - start) / inc + 1e-9) + 1 : 1;
    options.temperature = Array.from({ length: count }, (_, i) => Math.round((start + i * inc) * 1000) / 1000);
  }
  const vadParameters: VadOptions = {};
  for (const [flag, spec] of specs) {
    const v = values.get(flag);
    if (v !== undefined && spec.vad) vadParameters[spec.vad] = vadValue(flag, spec.vad, v);
  }
  const given = Object.keys(vadParameters);
  let vadFilter = values.has('--vad-filter') ? boolArg('--vad-filter', values.get('--vad-filter')!) : undefined;
  if (given.length && vadFilter === false) {
    throw new UsageError(`--${given.length > 1 ? 'vad-* parameters need' : `vad-${given[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs`} the VAD; drop --no-vad-filter`);
  }
  // A VAD parameter turns the VAD on, as WhisperX's vad_onset/vad_offset do in the worker.
  if (given.length && vadFilter === undefined) vadFilter = true;
  if (vadFilter !== undefined) options.vadFilter = vadFilter;
  if (given.length) options.vadParameters = vadParameters;
  const batchSize = intArg('--batch-size', values.get('--batch-size'), 1, MAX_BATCH_SIZE);
  if (batchSize !== undefined) options.batchSize = batchSize;
  if (values.has('--split-channels')) options.splitChannels = boolArg('--split-channels', values.get('--split-channels')!);
  if (options.splitChannels && (batchSize !== undefined || vadFilter)) {
    throw new UsageError(`--split-channels cannot be combined with ${batchSize !== undefined ? '--batch-size' : '--vad-filter'}`);
  }
  const minSpeakers = intArg('--min-speakers', values.get('--min-speakers'), 1, MAX_SPEAKERS);
  const maxSpeakers = intArg('--max-speakers', values.get('--max-speakers'), 1, MAX_SPEAKERS);
  const speakerSamples = speakerSamplesArg(lists.get('--speaker-sample'));
  const diarize = values.has('--diarize') ? boolArg('--diarize', values.get('--diarize')!) : minSpeakers !== undefined || maxSpeakers !== undefined || speakerSamples.length > 0;
  if (!diarize && (minSpeakers !== undefined || maxSpeakers !== undefined)) throw new UsageError('--min-speakers and --max-speakers need --diarize');
  if (!diarize && speakerSamples.length) throw new UsageError('--speaker-sample needs --diarize');
  if (minSpeakers !== undefined && maxSpeakers !== undefined && minSpeakers > maxSpeakers) {
    throw new UsageError(`--min-speakers (${minSpeakers}) is more than --max-speakers (${maxSpeakers})`);
  }
  if (diarize) {
    if (options.splitChannels) throw new UsageError('--diarize cannot be combined with --split-channels');
    options.diarize = {
      ...(minSpeakers !== undefined ? { minSpeakers } : {}),
      ...(maxSpeakers !== undefined ? { maxSpeakers } : {}),
      ...(speakerSamples.length ? { speakerSamples } : {}),
      ...(settings.diarizationModel ? { diarizationModel: settings.diarizationModel } : {}),
      locations: { cacheDir: settings.cacheDir, hub: settings.hub },
    };
  }
  const decoder = decoderOf(values);
  if (decoder) options.decoder = decoder;
  // The engine's checks (bounds, lists, the rules between values), named by flag.
  checked(() => decodingOptions(options as DecodingOptions, batchSize !== undefined));
  options.vadModelPath = settings.vadModelPath;
  if (settings.ffmpegPath) options.ffmpegPath = settings.ffmpegPath;
  // The VAD model is needed by --vad-filter and by --batch-size (unless clips are given or the VAD is off).
  if (vadFilter || (batchSize !== undefined && vadFilter !== false && options.clipTimestamps === undefined)) vadModelPath(settings.vadModelPath);
  return options as TranscribeOptions;
}

function flag(values: Map<string, string>, name: string): boolean {
  return values.has(name) ? boolArg(name, values.get(name)!) : false;
}

async function transcribeCommand(argv: string[], env: Env): Promise<void> {
  const specs = transcribeSpecs();
  const { values, lists, positionals } = parseFlags(argv, specs);
  if (positionals.length === 0) throw new UsageError('no input file given');
  const formats = formatsOf(values.get('--format'));
  const quiet = flag(values, '--quiet');
  const forced = flag(values, '--progress');
  // Every option and every path is checked before a model is resolved, downloaded or loaded.
  const load = loadOptions(values);
  const settings = settingsFromEnv(env);
  const options = transcribeOptions(values, specs, settings, lists);
  const outputs = await planOutputs(positionals, { output: values.get('--output'), outputDir: values.get('--output-dir') }, formats);
  // The diarization models are found (or fetched from the Hub) before the Whisper model loads.
  if (options.diarize && typeof options.diarize === 'object') await resolveDiarizationModels(options.diarize.diarizationModel, options.diarize.locations);
  const model = await loadModel(values, settings, load);
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  options.signal = ac.signal;
  const mode = progressMode(process.stderr, quiet, forced);
  try {
    for (const [i, input] of positionals.entries()) {
      const label = positionals.length > 1 ? `[${i + 1}/${positionals.length}] ${path.basename(input)}` : path.basename(input);
      const bar = new ProgressBar(process.stderr, mode, label);
      let result;
      try {
        result = await model.transcribe(input, { ...options, onProgress: mode === 'off' ? undefined : (d, t) => bar.update(d, t) });
      } finally {
        bar.finish(); // an error message starts on its own line
      }
      const plan = outputs[i];
      if (plan === undefined) process.stdout.write(render(result, formats[0]));
      else for (const { format, file } of plan) await fs.writeFile(file, render(result, format));
    }
  } finally {
    model.dispose();
  }
}

async function detectLanguageCommand(argv: string[], env: Env): Promise<void> {
  const specs = detectSpecs();
  const { values, positionals } = parseFlags(argv, specs);
  if (positionals.length === 0) throw new UsageError('no input file given');
  const format = values.get('--format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got ${JSON.stringify(format)}`);
  const load = loadOptions(values);
  const settings = settingsFromEnv(env);
  const opts: Record<string, unknown> = {};
  for (const f of ['--language-detection-segments', '--language-detection-threshold']) {
    const v = values.get(f);
    if (v !== undefined) opts[specs.get(f)!.option!] = valueOf(f, specs.get(f)!.kind, v);
  }
  checked(() => decodingOptions(opts as DecodingOptions));
  const decoder = decoderOf(values);
  if (decoder) opts.decoder = decoder;
  if (settings.ffmpegPath) opts.ffmpegPath = settings.ffmpegPath;
  for (const input of positionals) {
    const st = await fs.stat(input).catch(() => undefined);
    if (!st) throw new Error(`audio file not found: ${input}`);
    if (st.isDirectory()) throw new Error(`audio path is a directory, not a file: ${input}`);
  }
  const model = await loadModel(values, settings, load);
  const results: Array<Record<string, unknown>> = [];
  try {
    for (const input of positionals) {
      const d = await model.detectLanguage(input, opts as DetectLanguageOptions);
      if (format === 'json') results.push({ input, ...d });
      else process.stdout.write(`${positionals.length > 1 ? `${input}: ` : ''}${d.language} ${d.language_probability.toFixed(4)}\n`);
    }
  } finally {
    model.dispose();
  }
  if (format === 'json') process.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
}

function modelsCommand(argv: string[], env: Env): void {
  const { values, positionals } = parseFlags(argv, new Map([['--format', spec()]]));
  if (positionals.length) throw new UsageError(`models takes no arguments, got ${JSON.stringify(positionals[0])}`);
  const format = values.get('--format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got ${JSON.stringify(format)}`);
  const settings = settingsFromEnv(env);
  const models = listCachedModels(settings);
  if (format === 'json') {
    process.stdout.write(JSON.stringify(models, null, 2) + '\n');
  } else if (models.length === 0) {
    process.stdout.write(`no models in ${path.join(settings.cacheDir, 'models')} or the Hugging Face cache; run \`npm run models\`, or pass --model <name> to transcribe to download one\n`);
  } else {
    process.stdout.write(renderModels(models));
  }
}

const HELP: Record<string, () => string> = {
  transcribe: transcribeUsage,
  'detect-language': detectLanguageUsage,
  models: modelsUsage,
  serve: serveUsage,
};

export async function main(argv: string[], env: Env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'worker') {
      const { workerMain } = await import('./worker/main.js');
      return await workerMain(rest, env);
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      process.stdout.write(topic && Object.hasOwn(HELP, topic) ? HELP[topic]() : mainUsage());
      return command === undefined ? 2 : 0;
    }
    if (Object.hasOwn(HELP, command) && wantsHelp(rest)) {
      process.stdout.write(HELP[command]());
      return 0;
    }
    if (command === 'serve') {
      if (wantsHelp(rest)) {
        process.stdout.write(serveUsage());
        return 0;
      }
      const { serveCommand } = await import('./cli/serve.js');
      await serveCommand(rest, env, settingsFromEnv(env), loadOptions);
      return 0;
    }
    if (command === 'transcribe') await transcribeCommand(rest, env);
    else if (command === 'detect-language') await detectLanguageCommand(rest, env);
    else if (command === 'models') modelsCommand(rest, env);
    else throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return 0;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    process.stderr.write(`ct2-whisper: ${msg}\n`);
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const help = Object.hasOwn(HELP, command ?? '') ? `ct2-whisper ${command} --help` : 'ct2-whisper --help';
      process.stderr.write(`(${help} lists the commands and flags)\n`);
      return 2;
    }
    return 1;
  }
}

main(process.argv.slice(2), process.env).then((code) => {
  process.exitCode = code;
});
