// The worker's SSRF guard: how every kind of address is classified (only global unicast may be
// fetched without ALLOW_PRIVATE_AUDIO_URLS), the worker's audio fetch against the loopback audio
// server with the opt-in unset (refused) and set (fetched), and redirects whose Location is broken.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { root, fixture, tmpDir, runCli, assertWords } from './helpers.mjs';
import { startAudioServer } from './servers.mjs';
import { classifyAddress, isPrivateAddress, downloadAudio } from '../lib/worker/audio-source.js';


// [address, global, range, embedded IPv4 (when the form carries one)]
const TABLE = [
  // IPv4: global unicast, and the edges of the special ranges around it
  ['8.8.8.8', true, 'unicast'],
  ['1.1.1.1', true, 'unicast'],
  ['11.0.0.1', true, 'unicast'],
  ['126.255.255.255', true, 'unicast'],
  ['128.0.0.1', true, 'unicast'],
  ['172.15.255.255', true, 'unicast'],
  ['172.32.0.1', true, 'unicast'],
  ['100.63.255.255', true, 'unicast'],
  ['100.128.0.0', true, 'unicast'],
  ['169.253.255.255', true, 'unicast'],
  ['192.167.255.255', true, 'unicast'],
  ['223.255.255.255', true, 'unicast'],
  ['192.31.196.1', true, 'as112'],
  ['192.52.193.1', true, 'amt'],
  // IPv4: not global
  ['0.0.0.0', false, 'unspecified'],
  ['0.1.2.3', false, 'unspecified'],
  ['127.0.0.1', false, 'loopback'],
  ['127.255.255.254', false, 'loopback'],
  ['10.0.0.1', false, 'private'],
  ['10.255.255.255', false, 'private'],
  ['172.16.0.1', false, 'private'],
  ['172.31.255.255', false, 'private'],
  ['192.168.1.1', false, 'private'],
  ['169.254.169.254', false, 'linkLocal'],
  ['169.254.0.1', false, 'linkLocal'],
  ['100.64.0.1', false, 'carrierGradeNat'],
  ['100.127.255.255', false, 'carrierGradeNat'],
  ['224.0.0.1', false, 'multicast'],
  ['239.255.255.250', false, 'multicast'],
  ['255.255.255.255', false, 'broadcast'],
  ['240.0.0.1', false, 'reserved'],
  ['192.0.0.1', false, 'reserved'],
  ['192.0.2.1', false, 'reserved'],
  ['198.51.100.1', false, 'reserved'],
  ['203.0.113.1', false, 'reserved'],
  ['198.18.0.1', false, 'reserved'],
  ['198.19.255.255', false, 'reserved'],
  ['192.88.99.1', false, 'reserved'],
  // IPv6: global unicast (2000::/3 outside the special ranges)
  ['2606:4700:4700::1111', true, 'unicast'],
  ['2001:4860:4860::8888', true, 'unicast'],
  ['2a00:1450:4001:80b::200e', true, 'unicast'],
  ['3ffe::1', true, 'unicast'],
  ['2001:4:112::1', true, 'as112v6'],
  ['2620:4f:8000::1', true, 'as112v6'],
  ['2001:3::1', true, 'amt'],
  // IPv6: not global
  ['::', false, 'unspecified'],
  ['::1', false, 'loopback'],
  ['fe80::1', false, 'linkLocal'],
  ['FE80::1', false, 'linkLocal'],
  ['febf:ffff::1', false, 'linkLocal'],
  ['fe80::1%eth0', false, 'linkLocal'],
  ['2606:4700:4700::1111%1', false, 'scoped'],
  ['fc00::1', false, 'uniqueLocal'],
  ['fd12:3456:789a::1', false, 'uniqueLocal'],
  ['fec0::1', false, 'deprecatedSiteLocal'],
  ['ff02::1', false, 'multicast'],
  ['ff05::1:3', false, 'multicast'],
  ['ff0e::1', false, 'multicast'],
  ['2001:db8::1', false, 'reserved'],
  ['3fff::1', false, 'reserved'],
  ['2001:2::1', false, 'benchmarking'],
  ['2001:10::1', false, 'deprecatedOrchid'],
  ['2001:20::1', false, 'orchid2'],
  ['100::1', false, 'discard'],
  ['5f00::1', false, 'segmentRouting'],
  ['1::1', false, 'reserved'],
  ['4000::1', false, 'reserved'],
  ['e000::1', false, 'reserved'],
  // Teredo: refused whatever it carries
  ['2001::1', false, 'teredo'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', false, 'teredo'],
  // IPv4-mapped (::ffff:0:0/96): by the IPv4 address inside, in either spelling
  ['::ffff:127.0.0.1', false, 'ipv4Mapped', '127.0.0.1'],
  ['::ffff:7f00:1', false, 'ipv4Mapped', '127.0.0.1'],
  ['::FFFF:7F00:1', false, 'ipv4Mapped', '127.0.0.1'],
  ['0:0:0:0:0:ffff:7f00:1', false, 'ipv4Mapped', '127.0.0.1'],
  ['::ffff:169.254.169.254', false, 'ipv4Mapped', '169.254.169.254'],
  ['::ffff:a9fe:a9fe', false, 'ipv4Mapped', '169.254.169.254'],
  ['::ffff:10.0.0.1', false, 'ipv4Mapped', '10.0.0.1'],
  ['::ffff:192.168.0.1', false, 'ipv4Mapped', '192.168.0.1'],
  ['::ffff:100.64.0.1', false, 'ipv4Mapped', '100.64.0.1'],
  ['::ffff:0.0.0.0', false, 'ipv4Mapped', '0.0.0.0'],
  ['::ffff:255.255.255.255', false, 'ipv4Mapped', '255.255.255.255'],
  ['::ffff:224.0.0.1', false, 'ipv4Mapped', '224.0.0.1'],
  ['::ffff:8.8.8.8', true, 'ipv4Mapped', '8.8.8.8'],
  ['::ffff:808:808', true, 'ipv4Mapped', '8.8.8.8'],
  // IPv4-compatible (::/96, deprecated): refused even with a public address inside
  ['::127.0.0.1', false, 'ipv4Compatible', '127.0.0.1'],
  ['::7f00:1', false, 'ipv4Compatible', '127.0.0.1'],
  ['::a9fe:a9fe', false, 'ipv4Compatible', '169.254.169.254'],
  ['::10.0.0.1', false, 'ipv4Compatible', '10.0.0.1'],
  ['::8.8.8.8', false, 'ipv4Compatible', '8.8.8.8'],
  ['::0.0.0.2', false, 'ipv4Compatible', '0.0.0.2'],
  // IPv4-translated (::ffff:0:0:0/96): refused
  ['::ffff:0:7f00:1', false, 'rfc6145'],
  ['::ffff:0:808:808', false, 'rfc6145'],
  // NAT64 (64:ff9b::/96): by the IPv4 address inside; local-use NAT64 (64:ff9b:1::/48) refused
  ['64:ff9b::7f00:1', false, 'rfc6052', '127.0.0.1'],
  ['64:ff9b::127.0.0.1', false, 'rfc6052', '127.0.0.1'],
  ['64:ff9b::a9fe:a9fe', false, 'rfc6052', '169.254.169.254'],
  ['64:ff9b::10.0.0.1', false, 'rfc6052', '10.0.0.1'],
  ['64:ff9b::c0a8:1', false, 'rfc6052', '192.168.0.1'],
  ['64:ff9b::808:808', true, 'rfc6052', '8.8.8.8'],
  ['64:ff9b:1::808:808', false, 'rfc6052'],
  // 6to4 (2002::/16): by the IPv4 address in bits 16-47
  ['2002:7f00:1::', false, '6to4', '127.0.0.1'],
  ['2002:7f00:1::1', false, '6to4', '127.0.0.1'],
  ['2002:a9fe:a9fe::1', false, '6to4', '169.254.169.254'],
  ['2002:a00:1::1', false, '6to4', '10.0.0.1'],
  ['2002:c0a8:101::1', false, '6to4', '192.168.1.1'],
  ['2002:6440:1::1', false, '6to4', '100.64.0.1'],
  ['2002::1', false, '6to4', '0.0.0.0'],
  ['2002:808:808::1', true, '6to4', '8.8.8.8'],
  // not addresses at all
  ['', false, 'invalid'],
  ['localhost', false, 'invalid'],
  ['1.2.3', false, 'invalid'],
  ['999.1.1.1', false, 'invalid'],
  ['::ffff:1.2.3', false, 'invalid'],
  ['[::1]', false, 'invalid'],
];

t.test('address classification', async (t) => {
  for (const [address, global, range, embedded] of TABLE) {
    const c = classifyAddress(address);
    t.equal(c.global, global, `${address || '(empty)'}: ${global ? 'global' : 'not global'}`);
    t.equal(c.range, range, `${address || '(empty)'}: ${range}`);
    t.equal(c.embedded?.address, embedded, `${address || '(empty)'}: embedded ${embedded ?? 'none'}`);
    t.equal(isPrivateAddress(address), !global, `${address || '(empty)'}: isPrivateAddress`);
  }
  t.ok(TABLE.length >= 100, `${TABLE.length} cases`);
});

const limits = (allowPrivate, more = {}) => ({ maxBytes: 5 * 1024 * 1024, connectTimeoutMs: 3000, totalTimeoutMs: 10_000, maxRedirects: 5, allowPrivate, ...more });

/** URL forms that all reach the loopback audio server (127.0.0.1) with the opt-in. */
const reachable = (port) => [
  `http://127.0.0.1:${port}`,
  `http://localhost:${port}`,
  `http://[::ffff:127.0.0.1]:${port}`,
  `http://[::ffff:7f00:1]:${port}`,
  `http://[0:0:0:0:0:ffff:7f00:1]:${port}`,
  `http://2130706433:${port}`,
  `http://0x7f.1:${port}`,
  `http://0177.0.0.1:${port}`,
  `http://127.1:${port}`,
];

t.test('the audio fetch against the loopback audio server', async (t) => {
  const audio = await startAudioServer(t);
  const port = new URL(audio).port;
  const dir = tmpDir(t);
  const jfk = fs.readFileSync(fixture('jfk.flac'));
  for (const base of reachable(port)) {
    await t.rejects(downloadAudio(`${base}/audio/jfk.flac`, dir, limits(false)), { name: 'JobInputError', message: /private, loopback or link-local address \(.+\); refused: .*loopback\).*ALLOW_PRIVATE_AUDIO_URLS=1|refused: a loopback address/ }, `${base}: refused without the opt-in`);
    const file = await downloadAudio(`${base}/audio/jfk.flac`, dir, limits(true));
    t.ok(fs.readFileSync(file).equals(jfk), `${base}: fetched with the opt-in`);
  }
  // Forms that name other special addresses are refused before any connection.
  for (const [url, re] of [
    [`http://[::ffff:169.254.169.254]/latest/meta-data`, /an IPv4-mapped address of 169\.254\.169\.254 \(link-local\)/],
    [`http://[::ffff:a9fe:a9fe]/latest/meta-data`, /an IPv4-mapped address of 169\.254\.169\.254 \(link-local\)/],
    [`http://[::ffff:10.0.0.1]/a.wav`, /an IPv4-mapped address of 10\.0\.0\.1 \(private\)/],
    [`http://[::127.0.0.1]:${port}/a.wav`, /an IPv4-compatible address of 127\.0\.0\.1/],
    [`http://[64:ff9b::7f00:1]:${port}/a.wav`, /a NAT64 address of 127\.0\.0\.1 \(loopback\)/],
    [`http://[64:ff9b::169.254.169.254]/a.wav`, /a NAT64 address of 169\.254\.169\.254 \(link-local\)/],
    [`http://[2002:7f00:1::1]:${port}/a.wav`, /a 6to4 address of 127\.0\.0\.1 \(loopback\)/],
    [`http://[2002:a9fe:a9fe::1]/a.wav`, /a 6to4 address of 169\.254\.169\.254 \(link-local\)/],
    [`http://[2001::1]/a.wav`, /a Teredo address/],
    [`http://[fd00::1]/a.wav`, /a unique-local address/],
    [`http://[fe80::1]/a.wav`, /a link-local address/],
    [`http://[ff02::1]/a.wav`, /a multicast address/],
    [`http://[::]:${port}/a.wav`, /an unspecified address/],
    [`http://0.0.0.0:${port}/a.wav`, /an unspecified address/],
    [`http://0:${port}/a.wav`, /an unspecified address/],
    [`http://[::1]:${port}/a.wav`, /a loopback address/],
    [`http://169.254.169.254/latest/meta-data`, /a link-local address/],
    [`http://100.100.100.200/latest/meta-data`, /a carrier-grade NAT address/],
    [`http://192.168.0.1/a.wav`, /a private address/],
    [`http://255.255.255.255/a.wav`, /a broadcast address/],
    [`http://224.0.0.1/a.wav`, /a multicast address/],
    [`http://192.0.2.1/a.wav`, /a reserved address/],
    [`http://[2001:db8::1]/a.wav`, /a reserved address/],
  ]) {
    await t.rejects(downloadAudio(url, dir, limits(false)), { name: 'JobInputError', message: re }, url);
  }
  t.same(fs.readdirSync(dir).filter((f) => !f.startsWith('audio')), [], 'nothing else written');
});

/** A loopback server whose every answer is a 302 to `location` (written raw, so anything goes). */
async function startRedirector(t, location) {
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/audio/')) {
      res.writeHead(200, { 'content-type': 'audio/flac' });
      return fs.createReadStream(fixture('jfk.flac')).pipe(res);
    }
    res.socket.end(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return `http://127.0.0.1:${server.address().port}`;
}

t.test('redirects: broken Location, other schemes, AUDIO_MAX_REDIRECTS=0', async (t) => {
  const dir = tmpDir(t);
  for (const location of ['http://[::1/x', 'http://exa mple.com/a.wav', 'https://', 'http://:80/a.wav', 'http://[::1]:99999/a.wav', 'http://a%zz/a.wav', 'http://[fe80::1%25eth0]/']) {
    const base = await startRedirector(t, location);
    await t.rejects(
      downloadAudio(`${base}/a.wav`, dir, limits(true)),
      { name: 'JobInputError', message: `audio URL: 127.0.0.1:${new URL(base).port} redirected to ${JSON.stringify(location)}, which is not a valid URL` },
      `Location ${location}`,
    );
  }
  for (const location of ['file:///etc/passwd', 'ftp://example.com/a.wav', 'gopher://127.0.0.1:70/']) {
    const base = await startRedirector(t, location);
    await t.rejects(downloadAudio(`${base}/a.wav`, dir, limits(true)), { name: 'JobInputError', message: /only http and https are allowed/ }, `Location ${location}`);
  }
  const base = await startRedirector(t, '/audio/jfk.flac');
  await t.rejects(downloadAudio(`${base}/a.wav`, dir, limits(true, { maxRedirects: 0 })), { name: 'JobInputError', message: /more than 0 redirects \(AUDIO_MAX_REDIRECTS\)/ });
  const file = await downloadAudio(`${base}/a.wav`, dir, limits(true, { maxRedirects: 1 }));
  t.ok(fs.readFileSync(file).equals(fs.readFileSync(fixture('jfk.flac'))), 'one redirect followed');
  // A redirect to a loopback form is checked like the first URL.
  const toMapped = await startRedirector(t, `http://[::ffff:7f00:1]:${new URL(base).port}/audio/jfk.flac`);
  await t.rejects(downloadAudio(`${toMapped}/a.wav`, dir, limits(false)), { name: 'JobInputError', message: /refused/ });
});

/** Runs `ct2-whisper worker --test_input JOB` to its end. */
function runJob(input, env = {}) {
  const base = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' };
  for (const k of Object.keys(base)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_') || k === 'ALLOW_PRIVATE_AUDIO_URLS') delete base[k];
  return runCli(['worker', '--test_input', JSON.stringify({ input })], { env: { ...base, ...env } });
}

t.test('through the worker: refused without ALLOW_PRIVATE_AUDIO_URLS, fetched with it, broken Location', async (t) => {
  const audio = await startAudioServer(t);
  const port = new URL(audio).port;
  const refused = await runJob({ audio: `http://[::ffff:7f00:1]:${port}/audio/jfk.flac` });
  t.equal(refused.status, 1, 'the job fails');
  t.match(refused.result.error, /^audio URL: host ::ffff:7f00:1 is a private, loopback or link-local address \(::ffff:7f00:1\); refused: an IPv4-mapped address of 127\.0\.0\.1 \(loopback\); only public \(global unicast\) addresses are fetched unless ALLOW_PRIVATE_AUDIO_URLS=1$/);
  const fetched = await runJob({ audio: `http://[::ffff:7f00:1]:${port}/audio/jfk.flac` }, { ALLOW_PRIVATE_AUDIO_URLS: '1' });
  t.equal(fetched.status, 0, `the job succeeds${fetched.status ? `: ${fetched.stderr.slice(-500)}` : ''}`);
  assertWords(t, fetched.result.output.transcription);
  const broken = await startRedirector(t, 'http://[::1/x');
  const r = await runJob({ audio: `${broken}/a.wav` }, { ALLOW_PRIVATE_AUDIO_URLS: '1' });
  t.equal(r.status, 1);
  t.match(r.result.error, /^audio URL: 127\.0\.0\.1:\d+ redirected to "http:\/\/\[::1\/x", which is not a valid URL$/);
  t.notMatch(r.result.error, /transcription failed/);
});
