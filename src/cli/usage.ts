// --help: each command's flags with what they take, and examples. The decoding flags are listed
// from the library's option list, so a new option shows up here by itself.
import { DECODING_OPTION_NAMES, type DecodingOptions } from '../options.js';
import { VAD_OPTION_NAMES, type VadOptions } from '../vad.js';
import { DECODING_KINDS, flagOf, vadFlagOf, VAD_BOUNDS, type Kind } from './args.js';

const PLACEHOLDER: Record<Kind, string> = {
  string: '<text>',
  int: '<n>',
  number: '<x>',
  nullableNumber: '<x|none>',
  nullableInt: '<n|none>',
  bool: '[true|false]',
  temperature: '<t[,t...]>',
  intList: '<n[,n...]>',
  language: '<code|auto>',
  task: '<transcribe|translate>',
};

/** faster-whisper's meaning and default, where a word helps. */
const ABOUT: Partial<Record<keyof DecodingOptions, string>> = {
  language: 'language code, or auto to detect (default auto)',
  task: 'transcribe, or translate to English',
  beamSize: 'beam size, 1 to 10 (default 5)',
  bestOf: 'candidates when sampling at temperature > 0 (default 5)',
  patience: 'beam search patience (default 1)',
  lengthPenalty: 'length penalty (default 1)',
  repetitionPenalty: 'penalty for repeated tokens (default 1)',
  noRepeatNgramSize: 'forbid repeating n-grams of this size (default 0: off)',
  temperature: 'temperature, or the fallback list (each 0 to 2, at most 21; default 0,0.2,...,1)',
  compressionRatioThreshold: 'fall back when gzip ratio is above (default 2.4; none: off)',
  logProbThreshold: 'fall back when average log probability is below (default -1; none: off)',
  noSpeechThreshold: 'silence when no-speech probability is above (default 0.6; none: off)',
  conditionOnPreviousText: 'prompt each window with the previous text (default true)',
  promptResetOnTemperature: 'drop the prompt after a fallback at or above this temperature (default 0.5)',
  initialPrompt: 'text to condition the first window on',
  prefix: 'text the first window starts with',
  suppressBlank: 'suppress blank outputs at the start (default true)',
  suppressTokens: 'token ids to suppress (default -1: the usual symbols; "" for none)',
  withoutTimestamps: 'text tokens only (default false)',
  maxInitialTimestamp: 'latest first timestamp, in seconds (default 1)',
  wordTimestamps: 'add word timestamps (default false)',
  prependPunctuations: 'punctuation merged into the next word',
  appendPunctuations: 'punctuation merged into the previous word',
  multilingual: 'let each segment have its own language (default false)',
  maxNewTokens: 'most tokens per window',
  chunkLength: 'window length in seconds, 1 to 30 (default 30)',
  clipTimestamps: 'start,end,... in seconds: transcribe only these spans',
  hallucinationSilenceThreshold: 'skip silences longer than this (s) around hallucinations (with --word-timestamps)',
  hotwords: 'words or phrases to favour (no effect with --prefix)',
  languageDetectionThreshold: 'accept a detected language at this probability (default 0.5)',
  languageDetectionSegments: 'windows to detect the language from (default 1)',
};

const VAD_ABOUT: Record<keyof VadOptions, string> = {
  threshold: 'speech probability threshold (default 0.5)',
  negThreshold: 'silence below this (default threshold - 0.15)',
  minSpeechDurationMs: 'drop speech shorter than this (default 0)',
  maxSpeechDurationS: 'split speech longer than this (default: no limit)',
  minSilenceDurationMs: 'silence needed to end speech (default 2000; 160 batched)',
  speechPadMs: 'padding around speech (default 400)',
};

const row = (flag: string, about: string) => {
  const left = `  ${flag}`;
  return left.length < 38 ? `${left.padEnd(38)}${about}` : `${left}\n${' '.repeat(38)}${about}`;
};

const MODEL_FLAGS = [
  row('--model <dir|name|id>', 'a model directory, a name (tiny ... large-v3, turbo: the cache, then the'),
  row('', 'Hugging Face Hub) or a Hub id (default: small, else the best model cached)'),
  row('--device <auto|cpu|cuda>', 'default auto'),
  row('--device-index <n>', 'which GPU (default 0)'),
  row('--compute-type <t>', 'auto, int8, int8_float32, int8_float16, float16, float32 (default auto)'),
  row('--threads <n>', 'CPU threads, 1 to 4 per core'),
  row('--decoder <auto|native|ffmpeg>', 'audio decoder (default auto: built-in, ffmpeg for other formats)'),
].join('\n');

export function transcribeUsage(): string {
  const decoding = DECODING_OPTION_NAMES.map((o) => row(`${flagOf(o)} ${PLACEHOLDER[DECODING_KINDS[o] ?? 'string']}`, ABOUT[o] ?? ''));
  const vad = VAD_OPTION_NAMES.map((v) => row(`${vadFlagOf(v)} <${VAD_BOUNDS[v].integer ? 'n' : 'x'}>`, VAD_ABOUT[v]));
  return `usage: ct2-whisper transcribe <input...> [options]

Model and audio:
${MODEL_FLAGS}
  --split-channels [true|false]       transcribe each channel on its own

Decoding (faster-whisper's transcribe options; booleans also as --no-<flag>):
${decoding.join('\n')}
  --temperature-increment-on-fallback <x>
                                      fallback list from --temperature up to 1 in these steps

Pipeline:
  --vad-filter [true|false]           drop non-speech with Silero VAD first (default off; on with --batch-size)
${vad.join('\n')}
  --batch-size <n>                    batched pipeline over speech chunks, 1 to 1024 at a time
  --diarize [true|false]              label speakers (pyannote segmentation-3.0 + CAM++ on ONNX Runtime;
                                      models: npm run models, or CT2_WHISPER_DIARIZATION_MODEL)
  --min-speakers <n>, --max-speakers <n>
                                      bounds on the number of speakers (1 to 64; imply --diarize)
  --speaker-sample <name>=<path>      a recording of one speaker alone: the speaker whose voice matches it
                                      is labelled <name> (repeatable, one per speaker; implies --diarize)

Output:
  --format <f>                        json, text (txt), srt, vtt, or all (json, srt, vtt and txt)
                                      (default text, to stdout)
  --output <path>                     a file, or a directory (one file per input and format; inputs
                                      with the same name get -2, -3, ...)
  --output-dir <dir>                  write <input name>.<ext> there (created if missing);
                                      --format all without it writes beside each input
  --progress                          progress on stderr even when it is not a terminal
  --quiet                             no progress bar (shown on a terminal by default)

Flags may also be spelled with underscores (--beam_size), as whisper-ctranslate2 takes them.

Examples:
  ct2-whisper transcribe meeting.mp3 --model small --language auto
  ct2-whisper transcribe talk.wav --format srt --output talk.srt --word-timestamps
  ct2-whisper transcribe *.flac --format all --output-dir transcripts/
  ct2-whisper transcribe long.mp3 --vad-filter --vad-min-silence-duration-ms 500 --batch-size 16
  ct2-whisper transcribe meeting.wav --diarize --max-speakers 4 --format srt
  ct2-whisper transcribe noisy.wav --temperature 0,0.4,0.8 --no-condition-on-previous-text \\
      --log-prob-threshold -1.5 --hallucination-silence-threshold 2 --word-timestamps
  ct2-whisper transcribe call.wav --hotwords "Kubernetes Grafana" --initial-prompt "Ops standup."
`;
}

export function detectLanguageUsage(): string {
  return `usage: ct2-whisper detect-language <input...> [options]

Prints the spoken language and its probability (one line per input), from the first 30 s window
(or more with --language-detection-segments).

${MODEL_FLAGS}
  --language-detection-segments <n>   windows to detect from (default 1)
  --language-detection-threshold <x>  stop at a window whose language reaches this probability (default 0.5)
  --format <text|json>                text: "<code> <probability>"; json: language, language_probability,
                                      all_language_probs (default text)

Examples:
  ct2-whisper detect-language clip.wav --model base
  ct2-whisper detect-language a.mp3 b.mp3 --format json
`;
}

export function modelsUsage(): string {
  return `usage: ct2-whisper models [--format text|json]

Lists the models on this machine: ct2-whisper's cache ($CT2_WHISPER_CACHE/models, default
~/.cache/ct2-whisper/models) and the Hugging Face hub cache (HF_HUB_CACHE / HF_HOME), with name,
languages (multilingual or english-only), size and path.
`;
}

export function mainUsage(): string {
  return `usage: ct2-whisper <command> [options]

Commands:
  transcribe <input...>       transcribe audio files (ct2-whisper transcribe --help for every flag)
  detect-language <input...>  print the spoken language and its probability
  models                      list the models in the caches
  serve                       an OpenAI-compatible transcription server (ct2-whisper serve --help)
  worker                      the RunPod serverless worker ([--test_input JSON] [--rp_serve_api [--rp_api_port N]])
  help [command]              this text, or a command's

Examples:
  ct2-whisper transcribe meeting.mp3 --model small
  ct2-whisper transcribe *.wav --format all --output-dir out/ --vad-filter
  ct2-whisper detect-language clip.wav --model base
  ct2-whisper models
  ct2-whisper serve --model tiny.en --port 8000
`;
}

export function serveUsage(): string {
  return `usage: ct2-whisper serve [--host 127.0.0.1] [--port 8000] [--model NAME|DIR ...] [--api-key KEY] [options]

An OpenAI-compatible server: POST /v1/audio/transcriptions and /v1/audio/translations
(multipart: file, model, language, prompt, temperature, response_format json|text|srt|vtt|
verbose_json, timestamp_granularities[] word|segment, stream=true; extras vad_filter,
batch_size, hotwords, word_timestamps), GET /v1/models, GET /health, and a page at /.
Requests that arrive together share the model and its batches.

Options:
  --host H               address to listen on (default 127.0.0.1: loopback only)
  --port N               port (default 8000; 0: any free port)
  --model NAME|DIR       a model to serve, repeatable; the first is the default, also called
                         whisper-1 (default: every model in the cache, the best first)
  --api-key KEY          require "Authorization: Bearer KEY" on /v1 (also CT2_WHISPER_API_KEY)
  --batch-size N         speech chunks per encoder batch, across requests (default 8)
  --batching true|false  gather concurrent requests into shared batches (default true)
  --gather-ms N          how long a request waits for others to join its batch (default 15)
  --max-queue N          requests queued or running at once; more get 429 (default 64)
  --max-file-bytes N     largest upload (default 26214400, OpenAI's 25 MB); larger: 413
  --max-audio-seconds N  longest audio (default 7200); longer: 413
  --max-queue-bytes N    upload bytes queued or running at once; more get 429 (default 536870912)
  --header-timeout S     seconds a client has to send its request headers (default 20)
  --body-timeout S       seconds a client has to send its whole request, upload included (default 300)
  --idle-timeout S       seconds a kept-alive connection may stay idle (default 5)
  --device, --compute-type, --threads   as for transcribe

Example (any OpenAI client):
  ct2-whisper serve --model tiny.en &
  curl -s localhost:8000/v1/audio/transcriptions -F file=@jfk.flac -F model=whisper-1
`;
}
