// Errors as OpenAI's API sends them: a status and `{"error": {"message", "type", "param",
// "code"}}`. Every failure of a request, ours or the framework's, leaves the server through
// `toApiError`, so clients (the official SDKs) read them as they read OpenAI's.
import { AbortError, ErrorCode, InputError, TimeoutError } from '../errors.js';
import { nameIn, optionMessage } from '../options/index.js';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A bad field or file: 400, naming the field. */
export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, 'invalid_request_error', param, code);

/** Too large (the upload) or too long (the audio): 413. */
export const tooLarge = (message: string, param = 'file') => new ApiError(413, message, 'invalid_request_error', param, 'request_too_large');

/** An audio decoder's reason for refusing an upload, without the private temp file's path that ffmpeg read. */
export function decoderReason(message: string): string {
  return message.replace(/^audio buffer:? ?(is )?/, '').replace(/\S*ct2w-audio-[^/\s]*\/input:?\s*/g, '');
}

/** Framework errors (multipart limits, bad content types, bodies) by their code. */
function fromFramework(e: { code?: string; statusCode?: number; message: string }): ApiError | undefined {
  switch (e.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge(e.message);
    case 'FST_FILES_LIMIT':
      return badRequest('send one `file` per request', 'file');
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return badRequest('the form has too many fields');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return badRequest('the request must be multipart/form-data with a `file` field (as OpenAI\'s audio API takes it)');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return badRequest(e.message);
  if (MULTIPART_ERRORS.test(e.message)) return badRequest(`the multipart form could not be read: ${e.message}`);
  return undefined;
}

/** What the multipart parser (busboy) throws for a malformed form: a missing, empty, wrong or overlong boundary, a form cut short. */
const MULTIPART_ERRORS = /^(Multipart: Boundary not found|Boundary required|The needle (cannot be an empty String\/Buffer|cannot have a length bigger than 256)|Unexpected end of (multipart data|form)|(Part|File|Field) terminated early due to unexpected end of multipart data|Malformed part header)/;

/** Any error as the ApiError the client gets. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const err: Error & { code?: string; statusCode?: number } = e instanceof Error ? e : new Error(String(e));
  if (err instanceof InputError && err.option && err.detail) {
    // An option's error names its form field, as OpenAI's `param` does.
    const field = nameIn(err.option, 'form');
    return badRequest(optionMessage(field, err.detail, (p) => nameIn(p, 'form')), field);
  }
  if (err.code === ErrorCode.INPUT) return badRequest(err.message);
  if (err instanceof TimeoutError) return new ApiError(504, err.message, 'server_error', null, 'timeout');
  if (err instanceof AbortError || err.code === ErrorCode.ABORTED) return new ApiError(499, 'the request was cancelled', 'invalid_request_error', null, 'cancelled');
  const framework = fromFramework(err);
  if (framework) return framework;
  return new ApiError(500, `the server failed: ${err.message}`, 'server_error', null, err.code ?? null);
}
