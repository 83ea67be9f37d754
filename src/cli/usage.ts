// --help: each command's flags with what they take, and examples. The option flags are listed
// from the option table (src/options/spec.ts) with its docs, values and defaults, so a new option
// shows up here by itself.
import { OPTIONS, frontName, type Group, type OptionSpec } from '../options/index.js';
import { valuesText } from '../options/docs.js';
import { COMPUTE_TYPES } from '../model.js';
import { settingsHelp } from '../worker/settings-doc.js';

/** What a flag's value looks like. */
function placeholder(o: OptionSpec): string {
  const none = o.nullable ? '|none' : '';
  switch (o.kind) {
    case 'int':
      return `<n${none}>`;
    case 'number':
      return `<x${none}>`;
    case 'bool':
      return '[true|false]';
    case 'enum':
      return `<${(o.values ?? []).join('|')}>`;
    case 'language':
      return '<code|auto>';
    case 'temperature':
      return '<t[,t...]>';
    case 'tokenList':
      return '<n[,n...]>';
    case 'clips':
      return '<start,end,...>';
    default:
      return '<text>';
  }
}

const shown = (v: unknown): string => (v === null ? 'none' : Array.isArray(v) ? v.join(',') : String(v));

/** The rows of the option flags of a group: the flag, its doc, then its values and default. */
function optionRows(group: Group): string[] {
  return OPTIONS.filter((o) => o.group === group && frontName(o, 'cli')).flatMap((o) => [
    row(`${frontName(o, 'cli')} ${placeholder(o)}`, o.doc),
    row('', `(${valuesText(o)}; default ${shown(o.default)}${o.batchedDefault !== undefined ? `, batched ${shown(o.batchedDefault)}` : ''})`),
  ]);
}

const row = (flag: string, about: string) => {
  const left = `  ${flag}`;
  return left.length < 38 ? `${left.padEnd(38)}${about}` : `${left}\n${' '.repeat(38)}${about}`;
};

const MODEL_FLAGS = [
  row('--model <dir|name|id>', 'a model directory, a name (tiny ... large-v3, turbo: the cache, then the'),
  row('', 'Hugging Face Hub) or a Hub id (default: small, else the best model cached)'),
  row('--device <auto|cpu|cuda>', 'default auto'),
  row('--device-index <n>', 'which GPU (default 0)'),
  row('--compute-type <t>', `${COMPUTE_TYPES.join(', ')} (default auto)`),
  row('--threads <n>', 'CPU threads, 1 to 4 per core'),
  row('--decoder <auto|native|ffmpeg>', 'audio decoder (default auto: built-in, ffmpeg for other formats)'),
].join('\n');

export function transcribeUsage(): string {
  return `usage: ct2-whisper transcribe <input...> [options]

Model and audio:
${MODEL_FLAGS}

Decoding (faster-whisper's transcribe options; booleans also as --no-<flag>; docs/options.md):
${optionRows('decoding').join('\n')}

Pipeline:
${optionRows('pipeline').join('\n')}
${optionRows('vad').join('\n')}

Speakers:
  --diarize [true|false]              label speakers (pyannote segmentation-3.0 + CAM++ on ONNX Runtime;
                                      models: npm run models, or CT2_WHISPER_DIARIZATION_MODEL)
${optionRows('diarize').join('\n')}
                                      (the speaker flags imply --diarize)
  --speaker-sample <name>=<path>      a recording of one speaker alone: the speaker whose voice matches it
                                      is labelled <name> (repeatable, one per speaker; implies --diarize)

Output:
  --format <f>                        json, text (txt), srt, vtt, or all (json, srt, vtt and txt)
                                      (default text, to stdout); srt and vtt turn on word timestamps
                                      and --speech-regions (cues are cut at word times and trimmed to
                                      speech; --no-word-timestamps: cut from the segments)
  --output <path>                     a file, or a directory (one file per input and format; inputs
                                      with the same name get -2, -3, ...)
  --output-dir <dir>                  write <input name>.<ext> there (created if missing);
                                      --format all without it writes beside each input
  --progress                          progress on stderr even when it is not a terminal
  --quiet                             no progress bar (shown on a terminal by default)

Subtitles (srt, vtt; docs/cli.md says how cues are cut):
${optionRows('output').join('\n')}

Flags may also be spelled with underscores (--beam_size), as whisper-ctranslate2 takes them.

Examples:
  ct2-whisper transcribe meeting.mp3 --model small --language auto
  ct2-whisper transcribe talk.wav --format srt --output talk.srt --max-line-width 32 --max-line-count 1
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
  worker                      the RunPod serverless worker (ct2-whisper worker --help)
  live [file|-]               live transcription of a file or stdin, at real-time pace (ct2-whisper live --help)
  help [command]              this text, or a command's

Examples:
  ct2-whisper transcribe meeting.mp3 --model small
  ct2-whisper transcribe *.wav --format all --output-dir out/ --vad-filter
  ct2-whisper detect-language clip.wav --model base
  ct2-whisper models
  ct2-whisper serve --model tiny.en --port 8000
`;
}

export function liveUsage(): string {
  return `usage: ct2-whisper live [FILE|-] [--model NAME|DIR] [--raw --rate 16000] [--pace 1] [transcribe's options]

Live transcription (the library's model.live): the input (any audio ffmpeg reads, a file or
stdin; with --raw, PCM16 little-endian mono at --rate) is fed at real-time pace; turns come from
Silero VAD; on a terminal the turn in progress shows in place as its words become stable, and
each turn's final text (what transcribing that turn as a file gives) is printed on its own line.

Options:
  --raw                  stdin is raw PCM16 little-endian mono (at --rate, default 16000)
  --pace N               N times real time (default 1); 0: as fast as each chunk is processed
  --silence-ms N         silence that ends a turn (default 500)
  --model, --device, --compute-type, --threads, --language, --beam-size, ...   as for transcribe
`;
}

export function serveUsage(): string {
  return `usage: ct2-whisper serve [--host 127.0.0.1] [--port 8000] [--model NAME|DIR ...] [--api-key KEY] [options]

An OpenAI-compatible server: POST /v1/audio/transcriptions and /v1/audio/translations
(multipart: file, model, language, prompt, temperature, response_format json|text|srt|vtt|
verbose_json|diarized_json, timestamp_granularities[] word|segment, stream=true, include[]
logprobs, chunking_strategy, known_speaker_names[]/known_speaker_references[]; extras: every
transcribe option as a snake_case field, vad_filter, batch_size, hotwords, word_timestamps, diarize,
..., and for srt and vtt max_cue_seconds, max_line_count, max_line_width, max_words_per_line,
highlight_words), GET /v1/models, GET /health, and a page at /.
Requests that arrive together share the model and its batches.

Options:
  --host H               address to listen on (default 127.0.0.1: loopback only)
  --port N               port (default 8000; 0: any free port)
  --model NAME|DIR       a model to serve, repeatable; the first is the default (default: every
                         model in the cache, the best first)
  --model-alias NAME=MODEL  another name clients may send as model, repeatable (also
                         CT2_WHISPER_MODEL_ALIASES=NAME=MODEL,...); whisper-1, gpt-4o-transcribe,
                         gpt-4o-mini-transcribe and gpt-4o-transcribe-diarize name the default
                         model unless aliased (the last also labels speakers)
  --api-key KEY          require "Authorization: Bearer KEY" on /v1 (also CT2_WHISPER_API_KEY)
  --allowed-hosts H,...  without a key, Host names answered besides loopback's, and the origins whose
                         pages may call the API; host or host:port, * for any (CT2_WHISPER_ALLOWED_HOSTS)
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
  --max-sessions N       live sessions (/v1/realtime WebSockets) open at once; more get 429 (default 8)
  --session-idle-timeout S  seconds a live session may send nothing before it is closed (default 60)
  --device, --compute-type, --threads   as for transcribe

Example (any OpenAI client):
  ct2-whisper serve --model tiny.en &
  curl -s localhost:8000/v1/audio/transcriptions -F file=@jfk.flac -F model=whisper-1
`;
}

export function workerUsage(): string {
  return `usage: ct2-whisper worker [--test_input JSON] [--rp_serve_api [--rp_api_port N] [--rp_api_host H]]

The RunPod serverless worker. Its mode:
  on RunPod                RUNPOD_WEBHOOK_GET_JOB and the rest set: takes jobs until SIGTERM
  --test_input JSON        runs one job ({"input": {...}}) and prints its result; without it and
                           without RunPod, ./test_input.json
  --rp_serve_api           serves RunPod's endpoint API on loopback: /{endpoint_id}/run, /runsync,
                           /status/{id}, /stream/{id}, /cancel/{id}, /purge-queue, /health (the
                           endpoint id is optional), for curl or the runpod SDK
                           (RUNPOD_ENDPOINT_BASE_URL=http://127.0.0.1:8000)
  --rp_api_port N          its port (default 8000)
  --rp_api_host H          its address (default 127.0.0.1)

Jobs take faster-whisper's options as fields (beam_size, vad_filter, word_timestamps, ...), and
the fields of RunPod's faster-whisper worker and of the WhisperX workers; docs/worker.md.

Settings (environment variables, checked at start-up):
${settingsHelp()}

Examples:
  WHISPER_MODEL_NAME=tiny.en ct2-whisper worker --test_input '{"input": {"audio": "https://example.com/a.mp3"}}'
  WHISPER_MODEL_NAME=small ct2-whisper worker --rp_serve_api --rp_api_port 8000
`;
}
