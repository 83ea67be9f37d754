// Bearer-token auth (OpenAI's `Authorization: Bearer <key>`), compared in constant time.
import crypto from 'node:crypto';
import { ApiError } from './openai-errors.js';

const digest = (s: string) => crypto.createHash('sha256').update(s).digest();

/** Throws a 401 unless `authorization` carries `key`; with no key set, every request passes. */
export function checkBearer(authorization: string | undefined, key: string | undefined): void {
  if (!key) return;
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  if (given === undefined) {
    throw new ApiError(401, 'You didn\'t provide an API key: send it as `Authorization: Bearer <key>`.', 'invalid_request_error', null, 'missing_api_key');
  }
  if (!crypto.timingSafeEqual(digest(given), digest(key))) {
    throw new ApiError(401, 'Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key');
  }
}
