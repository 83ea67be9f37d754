// The transcribe command's options from its flags: every option flag read and checked by the
// option table (optionValues), the rules between flags, speaker samples, the settings the
// environment gives (VAD model, ffmpeg, diarization models), and the subtitle writer's rules. Everything is checked before any
// model is looked at; an option's error names its flag.
import fsSync from 'node:fs';
import type { TranscribeOptions } from '../model.js';
import { resolveOptions, resolveDiarize, resolveSubtitles, type SubtitleOptions } from '../options/index.js';
import type { EnvSettings } from '../env.js';
import { vadModelPath } from '../vad.js';
import { UsageError, boolArg, checked, optionFlags, optionValues, spec, type FlagSpec } from './args.js';

/** The option flags of transcribe, from the option table (the subtitle writer's too), and the flags that switch a group on. */
export function transcribeOptionFlags(): Map<string, FlagSpec> {
  return new Map<string, FlagSpec>([
    ...optionFlags('decoding', 'pipeline', 'vad', 'diarize', 'output'),
    ['--diarize', spec('bool')],
    ['--speaker-sample', { kind: 'string', repeatable: true }],
  ]);
}

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

/** A VAD parameter turns the VAD on (as WhisperX's vad_onset/vad_offset do in the worker); --no-vad-filter refuses them. */
function vadFromFlags(options: Record<string, unknown>, specs: Map<string, FlagSpec>, values: Map<string, string>): void {
  const given = [...specs].filter(([flag, s]) => s.option?.group === 'vad' && values.has(flag)).map(([flag]) => flag);
  if (!given.length) return;
  if (options.vadFilter === false) throw new UsageError(`${given.length > 1 ? '--vad-* parameters need' : `${given[0]} needs`} the VAD; drop --no-vad-filter`);
  options.vadFilter ??= true;
}

/** --diarize and its settings: any speaker flag or sample turns it on; --no-diarize refuses them. */
function diarizeFromFlags(options: Record<string, unknown>, values: Map<string, string>, lists: Map<string, string[]>, settings: EnvSettings): void {
  const given = options.diarize as Record<string, unknown> | undefined;
  const samples = speakerSamplesArg(lists.get('--speaker-sample'));
  const on = values.has('--diarize') ? boolArg('--diarize', values.get('--diarize')!) : given !== undefined || samples.length > 0;
  if (!on) {
    if (given) throw new UsageError(`${Object.keys(given).map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} need${Object.keys(given).length > 1 ? '' : 's'} --diarize`);
    if (samples.length) throw new UsageError('--speaker-sample needs --diarize');
    delete options.diarize;
    return;
  }
  if (options.splitChannels) throw new UsageError('--diarize cannot be combined with --split-channels');
  checked(() => resolveDiarize(given ?? {}));
  options.diarize = {
    ...given,
    ...(samples.length ? { speakerSamples: samples } : {}),
    ...(settings.diarizationModel ? { diarizationModel: settings.diarizationModel } : {}),
    locations: { cacheDir: settings.cacheDir, hub: settings.hub },
  };
}

/** The flags of one kind: the subtitle writer's ("output" options), or all the others. */
function flagsOf(specs: Map<string, FlagSpec>, output: boolean): Map<string, FlagSpec> {
  return new Map([...specs].filter(([, s]) => (s.option?.group === 'output') === output));
}

/** The subtitle writer's rules from the flags (--max-line-width, --highlight-words, ...), checked. */
export function subtitleOptions(values: Map<string, string>, specs: Map<string, FlagSpec>): SubtitleOptions {
  const given = optionValues(values, flagsOf(specs, true)) as SubtitleOptions;
  checked(() => resolveSubtitles(given));
  return given;
}

/** The transcribe options from the flags, every value checked before any work. */
export function transcribeOptions(values: Map<string, string>, specs: Map<string, FlagSpec>, settings: EnvSettings, lists: Map<string, string[]> = new Map()): TranscribeOptions {
  const options: Record<string, unknown> = optionValues(values, flagsOf(specs, false));
  vadFromFlags(options, specs, values);
  diarizeFromFlags(options, values, lists, settings);
  // The rules between options (resolved again, once, by the call itself), named by flag.
  const resolved = checked(() => resolveOptions(options as TranscribeOptions));
  options.vadModelPath = settings.vadModelPath;
  if (settings.ffmpegPath) options.ffmpegPath = settings.ffmpegPath;
  // The VAD model is needed by --vad-filter and by --batch-size (unless clips are given or the VAD is off), and by --speech-regions.
  const clipsGiven = !(resolved.clips.length === 1 && resolved.clips[0] === 0);
  if ((resolved.vadFilter && !clipsGiven) || options.speechRegions === true) vadModelPath(settings.vadModelPath);
  return options as TranscribeOptions;
}
