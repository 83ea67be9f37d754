#!/usr/bin/env node
// ct2-whisper's command line: `ct2-whisper transcribe <input...> [options]`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WhisperModel, type Device, type ComputeType, type TranscribeOptions } from './model.js';
import { render, FORMATS, type Format } from './formats.js';
import { defaultLocalModel, resolveModel } from './model-path.js';

const USAGE = `usage: ct2-whisper transcribe <input...> [options]
       ct2-whisper worker [--test_input JSON] [--rp_serve_api [--rp_api_port N]]   (RunPod serverless worker)

  --model <dir|name|id>   model directory, a name (tiny … large-v3, turbo; local cache first, then
                          the Hugging Face Hub) or a Hub repository id (default: small from the cache)
  --device <d>            auto | cpu | cuda (default auto)
  --compute-type <t>      auto | int8 | int8_float32 | int8_float16 | float16 | float32 (default auto)
  --threads <n>           CPU threads
  --language <code>       language code (default: detected)
  --task <t>              transcribe | translate
  --beam-size <n>         beam size (default 5)
  --temperature <t[,t]>   temperature, or the fallback list
  --initial-prompt <s>    text to condition the first window on
  --word-timestamps       add word timestamps
  --split-channels        transcribe each channel on its own
  --format <f>            json | text | srt | vtt (default text)
  --output <path>         write there (a directory when there are several inputs) instead of stdout
  --progress              print progress to stderr
`;

class UsageError extends Error {}

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

function temperatureArg(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.some((t) => !Number.isFinite(t))) throw new UsageError(`--temperature must be numbers, got ${JSON.stringify(v)}`);
  return list;
}

async function transcribeCommand(argv: string[]): Promise<void> {
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
  // No --model: the default from the local cache; a name or Hub id may download from the Hub.
  const resolved = values.model ? await resolveModel(values.model) : defaultLocalModel();
  if (resolved.note) process.stderr.write(`ct2-whisper: ${resolved.note}\n`);
  const model = await WhisperModel.load(resolved.dir, {
    device: (values.device ?? 'auto') as Device,
    computeType: (values['compute-type'] ?? 'auto') as ComputeType,
    cpuThreads: intArg('threads', values.threads),
  });
  const options: TranscribeOptions = {
    language: values.language,
    task: values.task as TranscribeOptions['task'],
    beamSize: intArg('beam-size', values['beam-size']),
    temperature: temperatureArg(values.temperature),
    initialPrompt: values['initial-prompt'],
    wordTimestamps: values['word-timestamps'],
    splitChannels: values['split-channels'],
  };
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  options.signal = ac.signal;
  if (values.progress) {
    options.onProgress = (done, total) => process.stderr.write(`\rct2-whisper: ${done.toFixed(1)} / ${total.toFixed(1)} s`);
  }
  const several = positionals.length > 1;
  if (several && values.output) await fs.mkdir(values.output, { recursive: true });
  try {
    for (const input of positionals) {
      const result = await model.transcribe(input, options);
      if (values.progress) process.stderr.write('\n');
      const text = render(result, format);
      if (!values.output) {
        process.stdout.write(text);
      } else {
        const ext = format === 'text' ? 'txt' : format;
        const file = several ? path.join(values.output, `${path.parse(input).name}.${ext}`) : values.output;
        await fs.writeFile(file, text);
      }
    }
  } finally {
    model.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'transcribe') {
      await transcribeCommand(rest);
    } else if (command === 'worker') {
      const { workerMain } = await import('./worker/main.js');
      return await workerMain(rest);
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

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
