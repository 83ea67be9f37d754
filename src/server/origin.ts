// Who may drive a server that has no API key. A page on another site can reach a local server: by
// DNS rebinding (its own name, resolved to 127.0.0.1, so the browser sends `Host: evil.example`),
// or by a blind cross-origin POST (a multipart form is a CORS "simple" request: it is sent, only
// the answer is hidden). So without a key, a request is answered only when
//   - its Host is a loopback name (localhost, 127.0.0.1, [::1], any port) or an allowed host
//     (--allowed-hosts / CT2_WHISPER_ALLOWED_HOSTS), or it has no Host (no browser sends none);
//   - it has no Origin (not a browser's cross-origin request), or its Origin is the server's own
//     (the page at `/`, served under the same Host) or an allowed host.
// Anything else is a 403 with OpenAI's error body. With a key, a page elsewhere cannot send it, and
// no check is made.
import { ApiError } from './openai-errors.js';

/** The Host names always answered: loopback, with any port. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `host[:port]` split, lower-cased; undefined when it is not a host. */
function parseHost(value: string): { name: string; port: string } | undefined {
  try {
    const u = new URL(`http://${value}`);
    if (u.username || u.password || u.pathname !== '/' || u.search || u.hash || `${u.host}` === '') return undefined;
    return { name: u.hostname.toLowerCase(), port: u.port };
  } catch {
    return undefined;
  }
}

/**
 * The allowed-hosts list from a comma-separated string (`--allowed-hosts`,
 * CT2_WHISPER_ALLOWED_HOSTS): host names or addresses, each with an optional `:port` (without
 * one, any port), or `*` for any host. Throws on an entry that is not a host.
 */
export function parseAllowedHosts(value: string | undefined): string[] {
  if (value === undefined) return [];
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of entries) {
    if (e !== '*' && !parseHost(e)) throw new Error(`${JSON.stringify(e)} is not a host name or address (with an optional :port), nor *`);
  }
  return entries;
}

/** Whether `host` (a Host header, or an Origin's host) is on the `allowed` list. */
function onList(host: { name: string; port: string }, allowed: readonly string[]): boolean {
  return allowed.some((entry) => {
    if (entry === '*') return true;
    const e = parseHost(entry);
    return !!e && e.name === host.name && (e.port === '' || e.port === host.port);
  });
}

const forbidden = (message: string, code: string) => new ApiError(403, message, 'invalid_request_error', null, code);

const HOW = 'this server has no API key, so it answers only loopback names and its --allowed-hosts (CT2_WHISPER_ALLOWED_HOSTS); or set --api-key';

/** Throws a 403 for a request a page on another site may have sent (see the top of this file). */
export function checkHostAndOrigin(headers: { host?: string; origin?: string }, allowed: readonly string[]): void {
  const hostHeader = headers.host;
  let host: { name: string; port: string } | undefined;
  if (hostHeader !== undefined) {
    host = parseHost(hostHeader);
    if (!host || !(LOOPBACK.has(host.name) || onList(host, allowed))) {
      throw forbidden(`Host ${JSON.stringify(hostHeader)} is not allowed: ${HOW}`, 'host_not_allowed');
    }
  }
  const origin = headers.origin;
  if (origin === undefined) return;
  let from: { name: string; port: string } | undefined;
  try {
    const u = new URL(origin);
    if (u.protocol === 'http:' || u.protocol === 'https:') from = { name: u.hostname.toLowerCase(), port: u.port };
  } catch {
    from = undefined;
  }
  const same = !!from && !!host && from.name === host.name && from.port === host.port;
  if (!from || !(same || onList(from, allowed))) {
    throw forbidden(`requests from pages on other sites (Origin ${JSON.stringify(origin)}) are not answered: ${HOW}`, 'cross_origin_not_allowed');
  }
}
