// The parts of a multipart form as the multipart plugin hands them over, checked before their
// fields are read: a part with no name, or a field cut at the plugin's size limit (it truncates
// silently), is the client's error (400, naming the field), not a crash or a shortened value.
import { badRequest } from './openai-errors.js';

/** Largest value of a form field (not the file): 64 KiB. Longer values are refused, not cut. */
export const MAX_FIELD_BYTES = 64 * 1024;

/** What @fastify/multipart gives for a part (its field and file shapes alike). */
interface Part {
  type: 'file' | 'field';
  fieldname?: string;
  fieldnameTruncated?: boolean;
  valueTruncated?: boolean;
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
  if (part.valueTruncated) {
    throw badRequest(`${name} is longer than this server's limit of ${MAX_FIELD_BYTES} bytes for a form field`, name, 'field_too_long');
  }
  return name;
}
