// The parts of a multipart form as the multipart plugin hands them over, checked before their
// fields are read: a part with no name, or a field past its limit (64 KiB; speaker references
// more) or cut at the plugin's (it truncates silently), is the client's error (400, naming the
// field), not a crash or a shortened value.
import { badRequest } from './openai-errors.js';

/** Largest value of a form field (not the file): 64 KiB. Longer values are refused, not cut. */
export const MAX_FIELD_BYTES = 64 * 1024;
/**
 * Largest value of a `known_speaker_references[]` field: a data URL of a speaker sample (OpenAI's
 * are 2 to 10 s; 10 s of 48 kHz stereo 24-bit WAV is 3.8 MiB in base64). It is the parser's
 * limit for every field; the others are held to MAX_FIELD_BYTES here.
 */
export const MAX_REFERENCE_BYTES = 4 * 1024 * 1024;
/** Fields that may be longer than MAX_FIELD_BYTES (up to MAX_REFERENCE_BYTES). */
const LONG_FIELDS: ReadonlySet<string> = new Set(['known_speaker_references']);

/** The largest value a field of this name may have. */
export const fieldLimit = (name: string): number => (LONG_FIELDS.has(name) ? MAX_REFERENCE_BYTES : MAX_FIELD_BYTES);

/** What @fastify/multipart gives for a part (its field and file shapes alike). */
interface Part {
  type: 'file' | 'field';
  fieldname?: string;
  fieldnameTruncated?: boolean;
  valueTruncated?: boolean;
  value?: unknown;
  toBuffer?: () => Promise<Buffer>;
}

/**
 * The part's field name (without a trailing `[]`), or a 400: no name, a name or value cut at the
 * parser's limits. A refused file part is read to its end first (within the upload limit), so
 * that the connection is left in order for the answer.
 */
export async function partName(part: Part): Promise<string> {
  const refuse = async (message: string, param: string | null) => {
    if (part.type === 'file' && part.toBuffer) await part.toBuffer().catch(() => undefined);
    return badRequest(message, param);
  };
  if (typeof part.fieldname !== 'string' || part.fieldname === '') {
    throw await refuse(`a ${part.type === 'file' ? 'file' : 'field'} part of the form has no name: each part needs Content-Disposition: form-data; name="..."`, null);
  }
  if (part.fieldnameTruncated) throw await refuse(`a field name of the form is longer than the limit: ${JSON.stringify(part.fieldname.slice(0, 40))}…`, null);
  const name = part.fieldname.replace(/\[\]$/, '');
  const long = part.type === 'field' && typeof part.value === 'string' && Buffer.byteLength(part.value) > fieldLimit(name);
  if (part.valueTruncated || long) {
    throw badRequest(`${name} is longer than this server's limit of ${fieldLimit(name)} bytes for a form field`, name, 'field_too_long');
  }
  return name;
}
