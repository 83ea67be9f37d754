// Brings a job's audio into its job directory: an http(s) URL (public addresses only unless
// allowed, redirects capped, connect and total timeouts, size cap) or base64 (size-capped and
// validated). Every failure is a JobInputError with a message for the caller.
import dns from 'node:dns/promises';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { JobInputError } from './schema.js';

export interface FetchLimits {
  maxBytes: number;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxRedirects: number;
  allowPrivate: boolean;
}

export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): FetchLimits {
  const num = (k: string, d: number) => {
    const v = Number(env[k]);
    return Number.isFinite(v) && v > 0 ? v : d;
  };
  return {
    maxBytes: num('MAX_AUDIO_BYTES', 1024 * 1024 * 1024),
    connectTimeoutMs: num('AUDIO_CONNECT_TIMEOUT_MS', 10_000),
    totalTimeoutMs: num('AUDIO_DOWNLOAD_TIMEOUT_MS', 600_000),
    maxRedirects: num('AUDIO_MAX_REDIRECTS', 5),
    allowPrivate: env.ALLOW_PRIVATE_AUDIO_URLS === '1' || env.ALLOW_PRIVATE_AUDIO_URLS === 'true',
  };
}

/** Loopback, private, link-local, unique-local, CGNAT, multicast and unspecified addresses. */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  const v = ip.toLowerCase();
  if (v.startsWith('::ffff:')) return isPrivateAddress(v.slice(7));
  return v === '::' || v === '::1' || v.startsWith('fe8') || v.startsWith('fe9') || v.startsWith('fea') ||
    v.startsWith('feb') || v.startsWith('fc') || v.startsWith('fd') || v.startsWith('ff');
}

async function checkedAddress(host: string, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addrs: Array<{ address: string; family: number }>;
  if (net.isIP(bare)) addrs = [{ address: bare, family: net.isIP(bare) }];
  else {
    try {
      addrs = await dns.lookup(bare, { all: true, verbatim: true });
    } catch {
      throw new JobInputError(`audio URL: cannot resolve host ${bare}`);
    }
  }
  if (!allowPrivate) {
    const bad = addrs.find((a) => isPrivateAddress(a.address));
    if (bad) throw new JobInputError(`audio URL: host ${bare} is a private, loopback or link-local address (${bad.address}); refused`);
  }
  return addrs[0];
}

function extensionFrom(u: URL, contentType?: string): string {
  const ext = path.extname(u.pathname).toLowerCase();
  if (/^\.[a-z0-9]{1,5}$/.test(ext)) return ext;
  const map: Record<string, string> = { 'audio/mpeg': '.mp3', 'audio/wav': '.wav', 'audio/x-wav': '.wav', 'audio/flac': '.flac', 'audio/ogg': '.ogg', 'audio/mp4': '.m4a', 'audio/webm': '.webm' };
  return map[(contentType || '').split(';')[0].trim()] ?? '';
}

/** Downloads `rawUrl` into `dir`; returns the file's path. */
export async function downloadAudio(rawUrl: string, dir: string, limits: FetchLimits, signal?: AbortSignal): Promise<string> {
  let current: URL;
  try {
    current = new URL(rawUrl);
  } catch {
    throw new JobInputError('audio URL: not a valid URL');
  }
  const deadline = Date.now() + limits.totalTimeoutMs;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new JobInputError(`audio URL: only http and https are allowed, not ${current.protocol.replace(':', '')}`);
    }
    const target = await checkedAddress(current.hostname, limits.allowPrivate);
    const res = await request(current, target, limits, deadline, signal);
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      res.resume();
      if (hop >= limits.maxRedirects) throw new JobInputError(`audio URL: more than ${limits.maxRedirects} redirects`);
      current = new URL(res.headers.location, current);
      continue;
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new JobInputError(`audio URL: the server answered HTTP ${res.statusCode}`);
    }
    const length = Number(res.headers['content-length']);
    if (Number.isFinite(length) && length > limits.maxBytes) {
      res.destroy();
      throw new JobInputError(`audio URL: the file is ${length} bytes, over the limit of ${limits.maxBytes} (MAX_AUDIO_BYTES)`);
    }
    const file = path.join(dir, `audio${extensionFrom(current, res.headers['content-type'])}`);
    await save(res, file, limits, deadline);
    return file;
  }
}

function request(u: URL, target: { address: string; family: number }, limits: FetchLimits, deadline: number, signal?: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = u.protocol === 'https:' ? https : http;
    let connected = false;
    const req = mod.get(u, {
      signal,
      headers: { 'user-agent': 'ct2-whisper-worker' },
      // Connect to the address that was checked, not one a second lookup might return.
      lookup: (_h, opts, cb) => {
        if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
        else cb(null, target.address, target.family);
      },
    });
    const connectTimer = setTimeout(() => {
      if (!connected) req.destroy(new JobInputError(`audio URL: could not connect to ${u.host} within ${limits.connectTimeoutMs} ms`));
    }, limits.connectTimeoutMs);
    const totalTimer = setTimeout(() => req.destroy(new JobInputError(`audio URL: download took longer than ${limits.totalTimeoutMs} ms`)), Math.max(0, deadline - Date.now()));
    req.on('socket', (s) => s.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true)));
    req.on('response', (res) => {
      connected = true;
      clearTimeout(connectTimer);
      res.on('close', () => clearTimeout(totalTimer));
      res.on('error', () => clearTimeout(totalTimer));
      resolve(res);
    });
    req.on('error', (e) => {
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      if (e instanceof JobInputError) reject(e);
      else if ((e as Error).name === 'AbortError') reject(e);
      else reject(new JobInputError(`audio URL: ${u.host} could not be reached (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`));
    });
  });
}

function save(res: http.IncomingMessage, file: string, limits: FetchLimits, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file);
    let bytes = 0;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      res.destroy();
      out.destroy();
      reject(e);
    };
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) fail(new JobInputError(`audio URL: the file is over the limit of ${limits.maxBytes} bytes (MAX_AUDIO_BYTES)`));
      else if (Date.now() > deadline) fail(new JobInputError(`audio URL: download took longer than ${limits.totalTimeoutMs} ms`));
    });
    res.on('error', (e) => fail(e instanceof JobInputError ? e : new JobInputError(`audio URL: the download broke off (${e.message})`)));
    res.on('aborted', () => fail(new JobInputError('audio URL: the download broke off')));
    res.pipe(out);
    out.on('finish', () => {
      if (failed) return;
      if (bytes === 0) fail(new JobInputError('audio URL: the server sent an empty file'));
      else resolve();
    });
    out.on('error', (e) => fail(e));
  });
}

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;
const BASE64URL = /^[A-Za-z0-9\-_\r\n]*={0,2}\s*$/;

/** Decodes `audio_base_64` (optionally a data: URL) into `dir`; returns the file's path. */
export async function saveBase64Audio(data: string, dir: string, limits: FetchLimits): Promise<string> {
  let body = data.trim();
  const dataUrl = /^data:([\w/+.-]*)(;[\w=-]+)*;base64,/i.exec(body);
  if (dataUrl) body = body.slice(dataUrl[0].length);
  if (body.length * 0.75 > limits.maxBytes + 3) {
    throw new JobInputError(`audio_base_64: about ${Math.floor(body.length * 0.75)} bytes, over the limit of ${limits.maxBytes} (MAX_AUDIO_BYTES)`);
  }
  if (!BASE64.test(body) && !BASE64URL.test(body)) throw new JobInputError('audio_base_64: not valid base64');
  const compact = body.replace(/\s+/g, '');
  if (compact.replace(/=+$/, '').length % 4 === 1) throw new JobInputError('audio_base_64: not valid base64 (bad length)');
  const bytes = Buffer.from(compact, BASE64.test(body) ? 'base64' : 'base64url');
  if (bytes.length === 0) throw new JobInputError('audio_base_64: decodes to zero bytes');
  const file = path.join(dir, 'audio');
  await fs.promises.writeFile(file, bytes);
  return file;
}
