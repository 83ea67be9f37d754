// What a job's output holds. Two shapes:
//   full     every segment with its words, the flat word list and `model_output` (the result
//            object, as the dembrane worker returns it), beside the fields of both shapes;
//   preview  the first PREVIEW_SEGMENTS segments without their words, `segments_total`,
//            `truncated: true` and `truncated_reason`: the full result is in the uploaded JSON
//            (`full_result`), or was larger than MAX_RESULT_BYTES.
// Both carry the full text (`transcription`, `joined_text`, and `translation`). With storage configured (result_mode
// "auto", the default) the JSON is always uploaded and the output is the preview; without storage
// the output is the full result unless it is larger than MAX_RESULT_BYTES. A preview is made to fit
// MAX_RESULT_BYTES too: fewer segments, then the text cut (`text_truncated`). result_mode "full"
// keeps what the worker did before: the full result inline, and only output_formats uploaded.
import type { Segment } from '../model.js';

/** How many segments a preview holds. */
export const PREVIEW_SEGMENTS = 50;
/** Room kept under MAX_RESULT_BYTES for what is added after the size check (timings, debug): a tenth, at most this. */
export const RESULT_MARGIN_BYTES = 64 * 1024;

/** The first PREVIEW_SEGMENTS segments, without their word arrays. */
export function previewSegments(segments: readonly Segment[], count = PREVIEW_SEGMENTS): Segment[] {
  return segments.slice(0, count).map((s) => {
    const { words: _words, ...rest } = s as Segment & { words?: unknown };
    return rest as Segment;
  });
}

/** The size of `value` as JSON, in bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** The preview form of a full output: `full` without segments' words, the word list and model_output. */
export function previewOutput(full: Record<string, unknown>, segments: readonly Segment[], reason: string): Record<string, unknown> {
  const { segments: _s, word_timestamps: _w, model_output: _m, ...rest } = full;
  return {
    ...rest,
    segments: previewSegments(segments),
    segments_total: segments.length,
    truncated: true,
    truncated_reason: reason,
  };
}

/** What may be returned under `maxBytes`: less some room (RESULT_MARGIN_BYTES, at most a tenth) for what the caller adds afterwards. */
function budget(maxBytes: number): number {
  return maxBytes - Math.min(RESULT_MARGIN_BYTES, Math.floor(maxBytes / 10));
}

/** `text` cut to at most `bytes` bytes of UTF-8, at a character boundary. */
function cutText(text: string, bytes: number): string {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= bytes) return text;
  let end = Math.max(0, bytes);
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}

/** The text fields of an output, cut last when a preview does not fit. */
const TEXT_FIELDS = ['transcription', 'joined_text', 'translation'] as const;

/**
 * A preview made to fit `maxBytes` (less the margin), in place: fewer segments (halved down to
 * none), then the texts (`transcription`, `joined_text`, `translation`, each to the same number of
 * bytes) cut, marked `text_truncated`. `where` says where the whole result is. Returns the preview.
 */
export function shrinkPreview(preview: Record<string, unknown>, maxBytes: number, where: string): Record<string, unknown> {
  const limit = budget(maxBytes);
  if (jsonBytes(preview) <= limit) return preview;
  let segments = (preview.segments as Segment[] | undefined) ?? [];
  while (segments.length && jsonBytes(preview) > limit) {
    segments = segments.slice(0, Math.floor(segments.length / 2));
    preview.segments = segments;
  }
  const cuts: string[] = [`the preview holds ${segments.length} segment${segments.length === 1 ? '' : 's'}`];
  const texts = TEXT_FIELDS.filter((f) => typeof preview[f] === 'string' && preview[f] !== '').map((f) => [f, preview[f] as string] as const);
  if (jsonBytes(preview) > limit && texts.length) {
    preview.text_truncated = true;
    for (const [f] of texts) preview[f] = '';
    const room = Math.floor((limit - jsonBytes(preview) - 64) / texts.length);
    // JSON escapes may make a byte of text take several: cut further until it fits.
    for (let bytes = room; bytes >= 0; bytes = bytes > 64 ? Math.floor(bytes * 0.8) : bytes - 16) {
      for (const [f, text] of texts) preview[f] = cutText(text, bytes);
      if (jsonBytes(preview) <= limit) break;
    }
    for (const [f, text] of texts) cuts.push(`${f} is cut to ${Buffer.byteLength(preview[f] as string)} of its ${Buffer.byteLength(text)} bytes`);
  }
  preview.truncated_reason = `${preview.truncated_reason}; to fit MAX_RESULT_BYTES=${maxBytes}, ${cuts.join(' and ')} (${where})`;
  return preview;
}

/**
 * The output without storage: `full` when it fits in `maxBytes` (less RESULT_MARGIN_BYTES), else
 * its preview, and if the inline formats (srt, vtt, text) do not fit beside the preview either,
 * without them, and if it is still too large, fewer segments and the text cut (shrinkPreview).
 * Some room (RESULT_MARGIN_BYTES) is kept for what the caller adds afterwards.
 */
export function fitOutput(full: Record<string, unknown>, segments: readonly Segment[], maxBytes: number, inlineFormats: readonly string[]): Record<string, unknown> {
  const limit = budget(maxBytes);
  const size = jsonBytes(full);
  if (size <= limit) return full;
  const why = `the full result (${size} bytes) is larger than RunPod's result limit (MAX_RESULT_BYTES=${maxBytes}): configure storage (STORAGE_*) to get it whole`;
  const preview = previewOutput(full, segments, why);
  if (jsonBytes(preview) <= limit) return preview;
  const dropped = inlineFormats.filter((f) => f in preview);
  for (const f of dropped) delete preview[f];
  if (dropped.length) preview.truncated_reason = `${why}; the inline ${dropped.join(', ')} left out too`;
  return shrinkPreview(preview, maxBytes, 'no storage is configured: the rest is not kept');
}
