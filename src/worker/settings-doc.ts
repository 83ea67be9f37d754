// The worker's settings (environment variables), documented once: `ct2-whisper worker --help`
// prints them and docs/worker.md's table is written from them (scripts/options-docs.mjs).
// config.ts (and runpod.ts, logger.ts, env.ts) read them; test/worker-config.test.mjs checks that
// every variable read there is listed here. Meanings and defaults are markdown.

export interface SettingDoc {
  /** The variables, the first winning where several name the same setting. */
  readonly names: readonly string[];
  readonly meaning: string;
  /** The default, or '' for none. */
  readonly default: string;
}

export const WORKER_SETTINGS: readonly SettingDoc[] = Object.freeze([
  { names: ['WHISPERX_MODEL', 'WHISPERX_MODEL_NAME', 'WHISPER_MODEL_NAME'], meaning: 'model: a name (tiny … large-v3, turbo, distil-*), a Hub id, or a path; with none set and `small` unreachable, the worker lists the models on disk and how to choose one', default: '`small`' },
  { names: ['WHISPERX_MODEL_DIR'], meaning: 'a model directory, used when it holds `model.bin` and no name is set', default: '' },
  { names: ['TASK'], meaning: 'task of a job that gives none', default: '`transcribe`' },
  { names: ['MODEL_BATCH_SIZE'], meaning: 'batch size of a job that gives none (the range of `batch_size`, [options.md](options.md)); such jobs run batched', default: 'none: sequential' },
  { names: ['MAX_RESULT_BYTES'], meaning: 'largest result returned whole without storage; larger: a preview with `truncated` (RunPod documents no result limit; 10 MB is its smaller request limit)', default: '10000000' },
  { names: ['PRINT_MOUNTS'], meaning: '`1`: log the mounts and their free space at start', default: 'off' },
  { names: ['WHISPERX_DEVICE', 'WHISPER_DEVICE'], meaning: '`auto`, `cpu` or `cuda`', default: '`auto`' },
  { names: ['COMPUTE_TYPE'], meaning: '`auto` (float16 on CUDA, int8 on CPU) or a compute type: `int8`, `int8_float32`, `int8_float16`, `int8_bfloat16`, `int16`, `float16`, `bfloat16`, `float32`', default: '`auto`' },
  { names: ['CPU_THREADS'], meaning: 'CPU threads, 1 to 4 per core', default: 'all cores' },
  { names: ['MAX_CACHED_MODELS'], meaning: 'models kept loaded, 1–16', default: '2' },
  { names: ['MODEL_ROOTS'], meaning: '`:`-separated absolute folders under which a job\'s `model` may name a local path (symlinks and `..` resolved first)', default: 'the model cache, the HF cache, `/runpod-volume`' },
  { names: ['ALLOWED_HUB_MODELS'], meaning: 'comma-separated model names or Hub ids a job\'s `model` may name (`*`: any, `none`: none); the worker\'s own model is always allowed; a refused and a missing model get the same message', default: 'faster-whisper\'s model names' },
  { names: ['SUPPORTED_LANGUAGES', 'DEFAULT_LANGUAGE_CODE'], meaning: 'the language of a job that gives none (detected when unset); a requested language outside the list falls back to the default (without a default: an error naming the field)', default: 'all of Whisper\'s' },
  { names: ['HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'TRANSFORMERS_CACHE', 'XDG_CACHE_HOME', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_ENDPOINT', 'HF_HUB_OFFLINE'], meaning: 'the Hugging Face cache (HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then TRANSFORMERS_CACHE, else `hub` in HF_HOME, else in XDG_CACHE_HOME) and Hub (on `/runpod-volume` when mounted); HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) for its downloads', default: '`~/.cache/huggingface`' },
  { names: ['STORAGE_ENDPOINT', 'STORAGE_BUCKET', 'STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY', 'STORAGE_REGION'], meaning: 'S3/R2 for artifacts', default: 'none: inline' },
  { names: ['PREFIX_TRANSCRIPTS', 'PRESIGN_TTL'], meaning: 'key prefix; presigned URL lifetime (s, up to 604800)', default: '`transcripts`, 3600' },
  { names: ['JOBS_DIR'], meaning: 'where a job\'s audio is kept while it runs (removed after every job, on signals too; directories left by a crashed or killed worker are swept at the next start)', default: '`TMPDIR`' },
  { names: ['JOB_TIMEOUT_S'], meaning: 'per-job time limit (fetch, speaker samples, transcription, diarization); past it the job fails with an error naming the variable and the worker goes on', default: '3600' },
  { names: ['MAX_AUDIO_SECONDS'], meaning: 'longest decoded audio, checked from the file\'s header before decoding and again while decoding', default: '14400 (4 h)' },
  { names: ['MAX_AUDIO_BYTES'], meaning: 'largest audio download or base64 payload', default: '1 GiB' },
  { names: ['AUDIO_CONNECT_TIMEOUT_MS', 'AUDIO_DOWNLOAD_TIMEOUT_MS', 'AUDIO_MAX_REDIRECTS'], meaning: 'audio URL limits', default: '10 s, 10 min, 5' },
  { names: ['ALLOW_PRIVATE_AUDIO_URLS'], meaning: '`1` allows non-public audio hosts; otherwise every address a host resolves to, on every redirect, must be global unicast (IPv4-mapped, NAT64, 6to4, Teredo and unique-local forms included), classified by ipaddr.js', default: 'refused' },
  { names: ['CT2_WHISPER_VAD_MODEL', 'VAD_MODEL_PATH'], meaning: 'Silero VAD v6 ONNX file (the first wins)', default: '`$CT2_WHISPER_CACHE/models/silero_vad_v6.onnx`' },
  { names: ['CT2_WHISPER_CACHE'], meaning: 'the model cache (also read by the CLI)', default: '`~/.cache/ct2-whisper`' },
  { names: ['CT2_WHISPER_DIARIZATION_MODEL'], meaning: 'the diarization models: a directory holding `segmentation.onnx` and `embedding.onnx`, or a Hub id (also read by the CLI)', default: '`$CT2_WHISPER_CACHE/models/diarization`' },
  { names: ['FFMPEG_PATH'], meaning: 'ffmpeg for formats the built-in decoder does not read (also read by the CLI)', default: '`ffmpeg` on PATH' },
  { names: ['DEBUG'], meaning: 'debug-level logs and the `debug` block in every output (anything but 0/false/no/off)', default: 'off' },
  { names: ['CONSOLE_LOG_LEVEL'], meaning: 'level of the JSON logs on stderr (`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`; also read by `serve`)', default: '`info`' },
  { names: ['SHUTDOWN_GRACE_MS'], meaning: 'how long SIGTERM lets the job in hand finish before cancelling it (below)', default: '25 s' },
  { names: ['PROGRESS_INTERVAL_MS'], meaning: 'on RunPod, the least time between two progress updates of a job', default: '5000' },
  { names: ['RUNPOD_*'], meaning: 'set by RunPod: `RUNPOD_WEBHOOK_GET_JOB`, `RUNPOD_WEBHOOK_POST_OUTPUT`, `RUNPOD_WEBHOOK_POST_STREAM`, `RUNPOD_WEBHOOK_PING`, `RUNPOD_PING_INTERVAL`, `RUNPOD_POD_ID`, `RUNPOD_AI_API_KEY`; and the job-take loop\'s waits in ms: `RUNPOD_IDLE_DELAY_MS` (no job: 1000), `RUNPOD_THROTTLE_DELAY_MS` (429: 5000), `RUNPOD_MAX_BACKOFF_MS` (errors: at most 30000)', default: '' },
]);

/** docs/worker.md's table of the settings. */
export function renderSettingsTable(): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| variable | meaning | default |',
    '| --- | --- | --- |',
    ...WORKER_SETTINGS.map((s) => `| ${s.names.map((n) => `\`${n}\``).join(', ')} | ${cell(s.meaning)} | ${cell(s.default)} |`),
  ].join('\n');
}

/** Markdown as plain text: links as their text, no code marks. */
const plain = (s: string): string => s.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replace(/`/g, '');

/** `text` wrapped at `width` columns, each line indented by `indent`. */
function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The settings as `--help` lists them: the variables, then their meaning and default, indented. */
export function settingsHelp(): string {
  return WORKER_SETTINGS.flatMap((s) => [
    ...wrap(s.names.join(', '), '  '),
    ...wrap(`${plain(s.meaning)}${s.default ? ` (default: ${plain(s.default)})` : ''}`, '      '),
  ]).join('\n');
}
