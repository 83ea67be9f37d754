// Brings a job's audio into its job directory: an http(s) URL (global unicast addresses only unless
// ALLOW_PRIVATE_AUDIO_URLS, checked for every address a name resolves to on every redirect hop and
// connected to as checked; redirects capped, connect and total timeouts, size cap) or base64
// (size-capped and validated). Every failure is a JobInputError with a message for the caller.
// The limits come from config.ts, which reads and validates the environment.
import dns from 'node:dns/promises';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { JobInputError } from './schema.js';

export interface FetchLimits {
  maxBytes: number;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxRedirects: number;
  allowPrivate: boolean;
}

/** What an address is, by the IANA special-purpose registries as ipaddr.js classifies them. */
export interface AddressClass {
  /** The address as given. */
  address: string;
  /** ipaddr.js's range name (loopback, private, linkLocal, uniqueLocal, ipv4Mapped, rfc6052, 6to4,
   * teredo, …, unicast), or ipv4Compatible / invalid, which it has no name for. */
  range: string;
  /** For IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 addresses: the IPv4 address inside and its range. */
  embedded?: { address: string; range: string };
  /** Globally reachable unicast: the only kind a job's URL may reach unless ALLOW_PRIVATE_AUDIO_URLS is set. */
  global: boolean;
}

/** IPv4 ranges that are global unicast: ordinary unicast, and AS112's and AMT's public anycast. */
const GLOBAL_V4 = new Set(['unicast', 'as112', 'amt']);
/** IPv6 ranges inside 2000::/3 that are globally reachable (the rest of 2001::/23 is not). */
const GLOBAL_V6 = new Set(['as112v6', 'amt']);

function classifyV4(address: string): { address: string; range: string; global: boolean } {
  const range = ipaddr.IPv4.parse(address).range();
  return { address, range, global: GLOBAL_V4.has(range) };
}

const v4FromParts = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * Classifies an IP address (text, IPv4 or IPv6) for the SSRF guard. Only global unicast is
 * `global`: IPv4 unicast outside every special range; IPv6 unicast in 2000::/3 outside every
 * special range; IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses
 * by the IPv4 address they carry. IPv4-compatible (::a.b.c.d, deprecated), IPv4-translated
 * (::ffff:0:a.b.c.d), local-use NAT64 (64:ff9b:1::/48), Teredo (2001::/32) and everything special
 * (loopback, private, unique-local, link-local, site-local, multicast, unspecified, broadcast,
 * carrier-grade NAT, documentation, benchmarking, reserved, discard, ORCHID, segment routing) are not.
 */
export function classifyAddress(address: string): AddressClass {
  const kind = net.isIP(address);
  if (kind === 4) return classifyV4(address);
  if (kind !== 6) return { address, range: 'invalid', global: false };
  const zone = address.indexOf('%');
  if (zone >= 0) {
    // A scoped address (fe80::1%eth0) belongs to one link: never global.
    const c = classifyAddress(address.slice(0, zone));
    return { ...c, address, range: c.global ? 'scoped' : c.range, global: false };
  }
  // The WHATWG serializer writes every IPv6 address in hex ("::1.2.3.4" -> "::102:304"): ipaddr.js
  // would read the dotted "::a.b.c.d" form as IPv4-mapped, which it is not.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const ip = ipaddr.IPv6.parse(canonical);
  const p = ip.parts;
  const embedded = (hi: number, lo: number) => classifyV4(v4FromParts(hi, lo));
  if (p.slice(0, 6).every((x) => x === 0) && !(p[6] === 0 && p[7] <= 1)) {
    // ::a.b.c.d: ipaddr.js files these under plain unicast.
    const e = embedded(p[6], p[7]);
    return { address, range: 'ipv4Compatible', embedded: { address: e.address, range: e.range }, global: false };
  }
  const range = ip.range();
  switch (range) {
    case 'ipv4Mapped': {
      const e = embedded(p[6], p[7]);
      return { address, range, embedded: { address: e.address, range: e.range }, global: e.global };
    }
    case 'rfc6052': {
      // 64:ff9b::/96 carries a public IPv4 address; 64:ff9b:1::/48 is for local use.
      if (p[2] !== 0 || p[3] !== 0 || p[4] !== 0 || p[5] !== 0) return { address, range, global: false };
      const e = embedded(p[6], p[7]);
      return { address, range, embedded: { address: e.address, range: e.range }, global: e.global };
    }
    case '6to4': {
      const e = embedded(p[1], p[2]);
      return { address, range, embedded: { address: e.address, range: e.range }, global: e.global };
    }
    case 'unicast':
      // Global unicast is 2000::/3; the rest of the space is unassigned or reserved.
      return { address, range: (p[0] & 0xe000) === 0x2000 ? range : 'reserved', global: (p[0] & 0xe000) === 0x2000 };
    default:
      return { address, range, global: GLOBAL_V6.has(range) };
  }
}

/** Not a global unicast address (see classifyAddress). */
export function isPrivateAddress(ip: string): boolean {
  return !classifyAddress(ip).global;
}

const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified', broadcast: 'broadcast', multicast: 'multicast', linkLocal: 'link-local',
  loopback: 'loopback', carrierGradeNat: 'carrier-grade NAT', private: 'private', reserved: 'reserved',
  benchmarking: 'benchmarking', uniqueLocal: 'unique-local', ipv4Mapped: 'IPv4-mapped', ipv4Compatible: 'IPv4-compatible',
  rfc6145: 'IPv4-translated', rfc6052: 'NAT64', '6to4': '6to4', teredo: 'Teredo', deprecatedSiteLocal: 'site-local',
  discard: 'discard-only', deprecatedOrchid: 'ORCHID', orchid2: 'ORCHIDv2', segmentRouting: 'segment-routing',
  droneRemoteIdProtocolEntityTags: 'DRIP', scoped: 'interface-scoped', invalid: 'invalid',
};
const rangeName = (r: string) => RANGE_NAMES[r] ?? r;
const withArticle = (w: string) => `${/^(?!uni)[aeiou]/i.test(w) ? 'an' : 'a'} ${w}`;

function describe(c: AddressClass): string {
  const what = withArticle(rangeName(c.range));
  return c.embedded ? `${what} address of ${c.embedded.address} (${rangeName(c.embedded.range)})` : `${what} address`;
}

async function checkedAddress(host: string, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (!bare) throw new JobInputError('audio URL: the URL has no host');
  let addrs: Array<{ address: string; family: number }>;
  if (net.isIP(bare)) addrs = [{ address: bare, family: net.isIP(bare) }];
  else {
    try {
      addrs = await dns.lookup(bare, { all: true, verbatim: true });
    } catch {
      throw new JobInputError(`audio URL: cannot resolve host ${bare}`);
    }
    if (!addrs.length) throw new JobInputError(`audio URL: cannot resolve host ${bare}`);
  }
  if (!allowPrivate) {
    // Every address the name has must be public, so no later choice among them can reach inside.
    for (const a of addrs) {
      const c = classifyAddress(a.address);
      if (!c.global) {
        throw new JobInputError(
          `audio URL: host ${bare} is a private, loopback or link-local address (${a.address}); refused: ` +
            `${describe(c)}; only public (global unicast) addresses are fetched unless ALLOW_PRIVATE_AUDIO_URLS=1`,
        );
      }
    }
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
      if (hop >= limits.maxRedirects) throw new JobInputError(`audio URL: more than ${limits.maxRedirects} redirects (AUDIO_MAX_REDIRECTS)`);
      current = redirectTarget(res.headers.location, current);
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

/** The URL a redirect's Location names, relative to the URL that answered. */
function redirectTarget(location: string, base: URL): URL {
  try {
    return new URL(location, base);
  } catch {
    const shown = location.length > 200 ? `${location.slice(0, 200)}…` : location;
    throw new JobInputError(`audio URL: ${base.host} redirected to ${JSON.stringify(shown)}, which is not a valid URL`);
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

/** Decodes base64 audio (optionally a data: URL) into `dir`; returns the file's path. `field`: the job field it came in, for messages. */
export async function saveBase64Audio(data: string, dir: string, limits: FetchLimits, field = 'audio_base_64'): Promise<string> {
  let body = data.trim();
  const dataUrl = /^data:([\w/+.-]*)(;[\w=-]+)*;base64,/i.exec(body);
  if (dataUrl) body = body.slice(dataUrl[0].length);
  if (body.length * 0.75 > limits.maxBytes + 3) {
    throw new JobInputError(`${field}: about ${Math.floor(body.length * 0.75)} bytes, over the limit of ${limits.maxBytes} (MAX_AUDIO_BYTES)`);
  }
  if (!BASE64.test(body) && !BASE64URL.test(body)) throw new JobInputError(`${field}: not valid base64`);
  const compact = body.replace(/\s+/g, '');
  if (compact.replace(/=+$/, '').length % 4 === 1) throw new JobInputError(`${field}: not valid base64 (bad length)`);
  const bytes = Buffer.from(compact, BASE64.test(body) ? 'base64' : 'base64url');
  if (bytes.length === 0) throw new JobInputError(`${field}: decodes to zero bytes`);
  const file = path.join(dir, 'audio');
  await fs.promises.writeFile(file, bytes);
  return file;
}
