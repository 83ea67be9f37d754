// Where each input's transcripts go, decided and checked before any work: stdout, the file
// --output names, a directory (--output DIR, --output-dir DIR), or beside each input
// (--format all without a directory). Inputs exist and are files; every output's directory
// exists (a directory to write into is created) and is writable; no output is a directory or one
// of the inputs; no two outputs are the same file (inputs with the same name get "-2", "-3", …).
import fs from 'node:fs/promises';
import { constants as fsConstants, type Stats } from 'node:fs';
import path from 'node:path';
import { FORMATS, type Format } from '../formats.js';
import { UsageError } from './args.js';

/** What --format takes: a format, txt (text), or all (json, srt, vtt and txt). */
export type FormatChoice = Format | 'all';
export const FORMAT_CHOICES = [...FORMATS, 'txt', 'all'] as const;

export function formatsOf(choice: string | undefined): Format[] {
  const c = choice ?? 'text';
  if (c === 'all') return ['json', 'srt', 'vtt', 'text'];
  if (c === 'txt') return ['text'];
  if ((FORMATS as readonly string[]).includes(c)) return [c as Format];
  throw new UsageError(`--format must be one of ${FORMAT_CHOICES.join(', ')}, got ${JSON.stringify(choice)}`);
}

export const extensionOf = (f: Format): string => (f === 'text' ? 'txt' : f);

/** One output file of one input. */
export interface OutputFile {
  format: Format;
  file: string;
}

const statOrUndefined = (p: string): Promise<Stats | undefined> => fs.stat(p).catch(() => undefined);

async function makeDir(dir: string, flag: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new Error(`${flag}: cannot create the directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Per input, its output files (undefined: stdout). `output` is --output, `outputDir` --output-dir;
 * several `formats` (--format all) mean several files per input: never stdout.
 */
export async function planOutputs(
  inputs: string[],
  dest: { output?: string; outputDir?: string },
  formats: Format[],
): Promise<Array<OutputFile[] | undefined>> {
  await checkInputs(inputs);
  const { output, outputDir } = dest;
  const several = formats.length > 1;
  if (output !== undefined && outputDir !== undefined) throw new UsageError('give --output or --output-dir, not both');
  if (output === undefined && outputDir === undefined && !several) return inputs.map(() => undefined);
  if (output === '') throw new UsageError('--output must be a path, got ""');
  if (outputDir === '') throw new UsageError('--output-dir must be a path, got ""');
  const { dirOf, single } = await outputPlaces(inputs, dest, several);
  const plans = single !== undefined ? [[{ format: formats[0], file: single }]] : namedOutputs(inputs, dirOf, formats);
  const flag = output !== undefined ? '--output' : outputDir !== undefined ? '--output-dir' : '--format all';
  await checkOutputs(inputs, plans, flag);
  return plans;
}

/** Every input exists and is not a directory. */
async function checkInputs(inputs: string[]): Promise<void> {
  for (const input of inputs) {
    const st = await statOrUndefined(input);
    if (!st) throw new Error(`audio file not found: ${input}`);
    if (st.isDirectory()) throw new Error(`audio path is a directory, not a file: ${input}`);
  }
}

/**
 * Where the outputs go: the directory of each input's outputs (created when --output or
 * --output-dir names one that is missing), or `single`, the one file --output names for one input
 * and one format.
 */
async function outputPlaces(
  inputs: string[],
  { output, outputDir }: { output?: string; outputDir?: string },
  several: boolean,
): Promise<{ dirOf: (input: string) => string; single?: string }> {
  if (output !== undefined) {
    const outStat = await statOrUndefined(output);
    const wantsDir = output.endsWith('/') || output.endsWith(path.sep);
    if (inputs.length > 1 || several || wantsDir || outStat?.isDirectory()) {
      if (outStat && !outStat.isDirectory()) {
        throw new Error(`--output must be a directory when there are several ${inputs.length > 1 ? 'inputs' : 'formats'}, and ${output} is a file`);
      }
      if (!outStat) await makeDir(output, '--output');
      return { dirOf: () => output };
    }
    const dir = path.dirname(output);
    const dirStat = await statOrUndefined(dir);
    if (!dirStat) throw new Error(`--output: the directory ${dir} does not exist`);
    if (!dirStat.isDirectory()) throw new Error(`--output: ${dir} is not a directory`);
    return { dirOf: () => dir, single: output };
  }
  if (outputDir !== undefined) {
    const st = await statOrUndefined(outputDir);
    if (st && !st.isDirectory()) throw new Error(`--output-dir: ${outputDir} is not a directory`);
    if (!st) await makeDir(outputDir, '--output-dir');
    return { dirOf: () => outputDir };
  }
  // --format all without a directory: beside each input, as whisper-ctranslate2 writes them.
  return { dirOf: (input) => path.dirname(input) };
}

/**
 * Each input's files, `<stem>.<extension>` in its directory. Stems that collide in the same
 * directory (case-insensitively: some file systems fold case) get -2, -3, ...; a stem another
 * input has by nature is never picked.
 */
function namedOutputs(inputs: string[], dirOf: (input: string) => string, formats: Format[]): OutputFile[][] {
  const key = (dir: string, stem: string) => `${path.resolve(dir)}\0${stem.toLowerCase()}`;
  const taken = new Set(inputs.map((i) => key(dirOf(i), path.parse(i).name)));
  const used = new Set<string>();
  return inputs.map((input) => {
    const dir = dirOf(input);
    const base = path.parse(input).name;
    let stem = base;
    if (used.has(key(dir, stem))) {
      for (let k = 2; ; k++) {
        stem = `${base}-${k}`;
        if (!taken.has(key(dir, stem)) && !used.has(key(dir, stem))) break;
      }
      const shown = formats.length > 1 ? `${path.join(dir, stem)}.{${formats.map(extensionOf).join(',')}}` : path.join(dir, `${stem}.${extensionOf(formats[0])}`);
      process.stderr.write(`ct2-whisper: ${input} -> ${shown} (another input has the same name)\n`);
    }
    used.add(key(dir, stem));
    return formats.map((format) => ({ format, file: path.join(dir, `${stem}.${extensionOf(format)}`) }));
  });
}

/** No output is a directory or one of the inputs, and each can be written; errors name `flag`. */
async function checkOutputs(inputs: string[], plans: OutputFile[][], flag: string): Promise<void> {
  const inputPaths = new Set(inputs.map((i) => path.resolve(i)));
  for (const { file } of plans.flat()) {
    const st = await statOrUndefined(file);
    if (st?.isDirectory()) throw new Error(`${flag}: ${file} is a directory`);
    if (inputPaths.has(path.resolve(file))) throw new Error(`${flag}: ${file} is one of the inputs; it would be overwritten`);
    try {
      await fs.access(st ? file : path.dirname(file), fsConstants.W_OK);
    } catch {
      throw new Error(`${flag}: ${st ? file : path.dirname(file)} is not writable`);
    }
  }
}
