// Written by scripts/options-docs.mjs from the option table (spec.ts): do not edit by hand.
// `npm run build:ts && npm run options:docs` writes it again after the table changes.

/** faster-whisper's transcribe() options, in camelCase, all optional with its defaults. */
export interface DecodingOptions {
  /** Language code of the speech (en, de, …); null: detected from the first 30 s. Values: a Whisper language code, or null. Default: none. */
  language?: string | null;
  /** transcribe, or translate into English. Values: transcribe or translate. Default: "transcribe". */
  task?: 'transcribe' | 'translate';
  /** Beam width of the beam search (1: greedy). Values: integer, 1 to 10. Default: 5. */
  beamSize?: number;
  /** Candidates sampled when the temperature is above 0. Values: integer, 1 to 10. Default: 5. */
  bestOf?: number;
  /** Beam search patience factor. Values: number, above 0 and at most 10. Default: 1. */
  patience?: number;
  /** Exponential length penalty of the beam search. Values: number, 0 to 10. Default: 1. */
  lengthPenalty?: number;
  /** Penalty on tokens already generated (above 1 discourages repeats). Values: number, above 0 and at most 10. Default: 1. */
  repetitionPenalty?: number;
  /** Forbid repeating n-grams of this size (0: off). Values: integer, 0 to 20. Default: 0. */
  noRepeatNgramSize?: number;
  /** Sampling temperature, or the fallback list tried in turn when a window fails the thresholds. Values: number 0 to 2, or a list of at most 21. Default: 0, 0.2, 0.4, 0.6, 0.8, 1. */
  temperature?: number | number[];
  /** Build the fallback list from `temperature` (one value; 0 when absent) up to 1 in these steps (openai-whisper's option). Values: number, 0.05 to 1, or null. Default: none. */
  temperatureIncrementOnFallback?: number | null;
  /** A window whose text compresses more than this (gzip ratio) is decoded again hotter; null: no check. Values: number, 0 to 100, or null. Default: 2.4. */
  compressionRatioThreshold?: number | null;
  /** A window whose average log probability is below this is decoded again hotter; null: no check. Values: number, -100 to 100, or null. Default: -1. */
  logProbThreshold?: number | null;
  /** A window whose no-speech probability is above this (and fails logProbThreshold) is silence; null: no check. Values: number, 0 to 1, or null. Default: 0.6. */
  noSpeechThreshold?: number | null;
  /** Prompt each window with the text before it. Values: true or false. Default: true (batched: false). */
  conditionOnPreviousText?: boolean;
  /** Stop conditioning on previous text after a fallback to this temperature or above. Values: number, 0 to 2. Default: 0.5. */
  promptResetOnTemperature?: number;
  /** Text to prompt the first window with (names, spelling, style). Values: text, at most 10000 characters, or null. Default: none. */
  initialPrompt?: string | null;
  /** Text the first window's transcript starts with. Values: text, at most 10000 characters, or null. Default: none. */
  prefix?: string | null;
  /** Suppress blank outputs at the start of sampling. Values: true or false. Default: true. */
  suppressBlank?: boolean;
  /** Token ids never generated (-1: the model's list of symbols). Values: token ids (-1: the model's list), "n,n,…" or a list, at most 10000. Default: -1. */
  suppressTokens?: string | number[];
  /** Decode text only, no timestamp tokens (one segment per window; batched, segments come from word times). Values: true or false. Default: false (batched: true). */
  withoutTimestamps?: boolean;
  /** Latest time, in seconds, the first timestamp of a window may have. Values: number, 0 to 30. Default: 1. */
  maxInitialTimestamp?: number;
  /** Word-level timestamps (cross-attention alignment); the batched pipeline cuts its segments at sentences and pauses by them. Values: true or false. Default: false (batched: true). */
  wordTimestamps?: boolean;
  /** Each segment gets `token_logprobs`: its text tokens with their log probabilities, {token, logprob, bytes} (OpenAI's include[]=logprobs), scored by the alignment pass, not the beam search (docs/library.md). Values: true or false. Default: false. */
  tokenLogprobs?: boolean;
  /** Punctuation joined to the word after it (word timestamps). Values: text, at most 10000 characters. Default: "\"'“¿([{-". */
  prependPunctuations?: string;
  /** Punctuation joined to the word before it (word timestamps). Values: text, at most 10000 characters. Default: "\"'.。,，!！?？:：”)]}、". */
  appendPunctuations?: string;
  /** Detect the language of every window (multilingual models). Values: true or false. Default: false. */
  multilingual?: boolean;
  /** Most tokens generated per window; null: the model's limit. Values: integer, 1 to 448, or null. Default: none. */
  maxNewTokens?: number | null;
  /** Window length in seconds; null: the model's (30). Values: integer, 1 to 30, or null. Default: none. */
  chunkLength?: number | null;
  /** Only these stretches: "start,end,start,end…" in seconds (an odd count ends at the end). Values: seconds, "start,end,…" or a list, increasing. Default: 0. */
  clipTimestamps?: string | number[];
  /** With word timestamps: skip silences longer than this many seconds around a likely hallucination; null: off. Values: number, 0 to 3600, or null. Default: none. */
  hallucinationSilenceThreshold?: number | null;
  /** Words or phrases to favour (a prompt of their own; no effect with a prefix). Values: text, at most 10000 characters, or null. Default: none. */
  hotwords?: string | null;
  /** Probability the detected language must reach before more windows are tried. Values: number, 0 to 1. Default: 0.5. */
  languageDetectionThreshold?: number;
  /** Most 30 s windows tried to detect the language. Values: integer, 1 to 100. Default: 1. */
  languageDetectionSegments?: number;
}

/** Silero VAD's parameters (faster-whisper's VadOptions), all optional. */
export interface VadOptions {
  /** Speech probability at or above which a 32 ms window is speech. Values: number, 0 to 1. Default: 0.5. */
  threshold?: number;
  /** Below this a window is silence; null: threshold − 0.15. Values: number, 0 to 1, or null. Default: none. */
  negThreshold?: number | null;
  /** Speech shorter than this (ms) is dropped. Values: integer, 0 to 600000. Default: 0. */
  minSpeechDurationMs?: number;
  /** Speech longer than this (s) is split at a silence; null: no limit (the batched pipeline: chunkLength). Values: number, above 0 and at most 86400, or null. Default: none. */
  maxSpeechDurationS?: number | null;
  /** Silence (ms) that ends a stretch of speech. Values: integer, 0 to 600000. Default: 2000 (batched: 160). */
  minSilenceDurationMs?: number;
  /** Padding (ms) kept on each side of speech. Values: integer, 0 to 60000. Default: 400. */
  speechPadMs?: number;
}

/** How the transcription runs: VAD, batching, channels. */
export interface PipelineSpecOptions {
  /** Transcribe only the speech Silero VAD finds (the batched pipeline: on). Values: true or false. Default: false (batched: true). */
  vadFilter?: boolean;
  /** Decode the VAD's speech chunks in batches of this many (faster-whisper's BatchedInferencePipeline); null: sequential. Values: integer, 1 to 1024, or null. Default: none. */
  batchSize?: number | null;
  /** Transcribe each channel on its own (segments get `channel`). Values: true or false. Default: false. */
  splitChannels?: boolean;
  /** Return where Silero VAD hears speech (`speech`), which srt and vtt trim their cues to; the VAD runs for it when nothing else runs it (it is returned whenever the VAD runs). srt and vtt turn it on. Values: true or false. Default: false. */
  speechRegions?: boolean;
}

/** Speaker counts and clustering settings of `diarize`. */
export interface DiarizeSpecOptions {
  /** Exactly this many speakers. Values: integer, 1 to 64, or null. Default: none. */
  numSpeakers?: number | null;
  /** At least this many speakers. Values: integer, 1 to 64, or null. Default: none. */
  minSpeakers?: number | null;
  /** At most this many speakers. Values: integer, 1 to 64, or null. Default: none. */
  maxSpeakers?: number | null;
  /** Short recordings only (fewer than 10 pieces of clean speech, about half a minute or less): average cosine similarity at or above which two clusters are one speaker. Longer recordings take the speaker count from spectral clustering. Values: number, -1 to 1. Default: 0.4. */
  clusteringThreshold?: number;
  /** Cosine similarity a speaker must reach to take a speaker sample's name. Values: number, -1 to 1. Default: 0.45. */
  verificationThreshold?: number;
  /** Seconds between two 10 s segmentation windows. Values: number, 0.5 to 10. Default: 5. */
  segmentationStep?: number;
}

/** How srt and vtt cut and lay out cues: `render`, `toSrt` and `toVtt` take them; the CLI, the worker and the server for srt and vtt. */
export interface SubtitleOptions {
  /** Longest a subtitle cue lasts, in seconds (srt, vtt; a longer sentence is cut at a clause or a pause). Values: number, 1 to 600. Default: 7. */
  maxCueSeconds?: number;
  /** Most lines in a subtitle cue. Values: integer, 1 to 20. Default: 2. */
  maxLineCount?: number;
  /** Most characters in a line of a subtitle cue (a longer word has a line of its own). Values: integer, 1 to 1000. Default: 42. */
  maxLineWidth?: number;
  /** Most words in a line of a subtitle cue; null: no limit. Values: integer, 1 to 1000, or null. Default: none. */
  maxWordsPerLine?: number | null;
  /** Karaoke-style subtitles: while each word is spoken, its cue with that word underlined (as openai-whisper writes them). Values: true or false. Default: false. */
  highlightWords?: boolean;
}
