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
import { WhisperModel, COMPUTE_TYPES, type TranscribeOptions, type Device, type ComputeType, type LoadOptions, type DetectLanguageOptions } from './model.js';
import { render } from './formats.js';
import { optionsForFormats } from './subtitles/index.js';
import { hasVadModel } from './vad.js';
import { resolveDecoding } from './options/index.js';
import { defaultLocalModel, resolveModel } from './model-path.js';
import { settingsFromEnv, type Env, type EnvSettings } from './env.js';
import { resolveDiarizationModels } from './diarize/index.js';
import { UsageError, spec, optionFlags, optionValues, checked, parseFlags, intArg, boolArg, type FlagSpec } from './cli/args.js';
import { transcribeOptionFlags, transcribeOptions, subtitleOptions } from './cli/transcribe-options.js';
import { planOutputs, formatsOf } from './cli/outputs.js';
import { ProgressBar, progressMode } from './cli/progress.js';
import { listCachedModels, renderModels } from './cli/models.js';
import { mainUsage, transcribeUsage, detectLanguageUsage, modelsUsage, serveUsage, workerUsage, liveUsage } from './cli/usage.js';

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
    ...transcribeOptionFlags(),
    ['--format', spec()],
    ['--output', spec()],
    ['--output-dir', spec()],
    ['--progress', spec('bool')],
    ['--quiet', spec('bool')],
  ]);
}

function detectSpecs(): Map<string, FlagSpec> {
  const d = optionFlags('decoding');
  return new Map<string, FlagSpec>([
    ...MODEL_FLAGS,
    ['--language-detection-segments', d.get('--language-detection-segments')!],
    ['--language-detection-threshold', d.get('--language-detection-threshold')!],
    ['--format', spec()],
  ]);
}

const wantsHelp = (argv: string[]) => argv.some((a) => a === '--help' || a === '-h');


/** Checked before any work; what the model loads with. */
function loadOptions(values: Map<string, string>): LoadOptions {
  const device = values.get('--device') ?? 'auto';
  if (!['auto', 'cpu', 'cuda'].includes(device)) throw new UsageError(`--device must be auto, cpu or cuda, got ${JSON.stringify(device)}`);
  const computeType = values.get('--compute-type') ?? 'auto';
  if (!(COMPUTE_TYPES as readonly string[]).includes(computeType)) throw new UsageError(`--compute-type must be one of ${COMPUTE_TYPES.join(', ')}, got ${JSON.stringify(computeType)}`);
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

/** The model: --model (a path, a cache name, a Hub name or id), else the default from the cache. */
async function loadModel(values: Map<string, string>, settings: EnvSettings, load: LoadOptions): Promise<WhisperModel> {
  const name = values.get('--model');
  const resolved = name ? await resolveModel(name, settings) : defaultLocalModel(settings);
  if (resolved.note) process.stderr.write(`ct2-whisper: ${resolved.note}\n`);
  return WhisperModel.load(resolved.dir, load);
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
  // srt and vtt cut their cues at word times and trim them to where the VAD hears speech (unless told otherwise).
  const options = optionsForFormats(transcribeOptions(values, specs, settings, lists), formats, hasVadModel(settings.vadModelPath));
  const subtitles = subtitleOptions(values, specs);
  const decoder = decoderOf(values);
  if (decoder) options.decoder = decoder;
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
      if (plan === undefined) process.stdout.write(render(result, formats[0], subtitles));
      else for (const { format, file } of plan) await fs.writeFile(file, render(result, format, subtitles));
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
  const opts: Record<string, unknown> = optionValues(values, specs);
  checked(() => resolveDecoding(opts));
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
  worker: workerUsage,
  live: liveUsage,
};

export async function main(argv: string[], env: Env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !Object.hasOwn(HELP, topic)) throw new UsageError(`no help on ${JSON.stringify(topic)}: the commands are ${Object.keys(HELP).join(', ')}`);
      process.stdout.write(topic ? HELP[topic]() : mainUsage());
      return command === undefined ? 2 : 0;
    }
    if (Object.hasOwn(HELP, command) && wantsHelp(rest)) {
      process.stdout.write(HELP[command]());
      return 0;
    }
    if (command === 'worker') {
      const { workerMain } = await import('./worker/main.js');
      return await workerMain(rest, env);
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
    if (command === 'live') {
      const { liveCommand } = await import('./cli/live.js');
      const settings = settingsFromEnv(env);
      await liveCommand(rest, settings, MODEL_FLAGS, loadOptions, (values, load) => loadModel(values, settings, load));
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
