// `ct2-whisper serve`'s log, as the CLI writes it (JSON lines on stderr, the worker's pino
// logger): one line per request with its id, method, path, status and time; refused requests with
// their error code; the id sent back as `x-request-id` (the client's own when it sends a plain
// one); and never the API key, whether it comes right, wrong, or in the query string.
import t from 'tap';
import fs from 'node:fs';
import OpenAI from 'openai';
import { fixture, words, JFK_WORDS } from './helpers.mjs';
import { startServe } from './servers.mjs';

const KEY = 'sk-logging-test-7f3a9c';
const WRONG_KEY = 'sk-wrong-key-b41d02';
const QUERY_SECRET = 'query-secret-5e8c11';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const serve = await startServe(t, ['--model', 'tiny.en'], { CT2_WHISPER_API_KEY: KEY, CONSOLE_LOG_LEVEL: 'info', DEBUG: '' });
const { url } = serve;

/** The JSON lines of the log so far. */
const logLines = () => serve.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/** The request lines of request `id`, waited for: the line is written once the response has gone out. */
async function requestLines(id, count = 1) {
  const until = Date.now() + 10_000;
  for (;;) {
    const lines = logLines().filter((l) => l.request_id === id);
    if (lines.filter((l) => typeof l.method === 'string').length >= count || Date.now() > until) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('a request line with its id, method, path, status and time', async (t) => {
  const r = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'client-id-1' } });
  t.equal(r.status, 200);
  t.equal(r.headers.get('x-request-id'), 'client-id-1', "the client's id is sent back");
  const [line] = (await requestLines('client-id-1')).filter((l) => l.method);
  t.ok(line, 'a line for the request');
  t.equal(line.method, 'GET');
  t.equal(line.url, '/v1/models');
  t.equal(line.status, 200);
  t.type(line.ms, 'number');
  t.ok(line.ms >= 0 && line.ms < 10_000, `its time (${line.ms} ms)`);
  t.equal(line.service, 'ct2-whisper-server');
  t.equal(line.level, 30, 'at info level');
});

t.test('ids: made when the client sends none or a bad one; one line per request', async (t) => {
  const a = await fetch(`${url}/health`);
  const b = await fetch(`${url}/health`, { headers: { 'x-request-id': 'not a token\twith spaces' } });
  const idA = a.headers.get('x-request-id');
  const idB = b.headers.get('x-request-id');
  t.match(idA, UUID, 'a new UUID');
  t.match(idB, UUID, 'a bad id is replaced');
  t.not(idA, idB);
  t.equal((await requestLines(idA)).filter((l) => l.method).length, 1, 'one line for the first');
  t.equal((await requestLines(idB)).filter((l) => l.method).length, 1, 'one line for the second');
});

t.test('a transcription through the openai client, and refused requests with their codes', async (t) => {
  const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });
  const { data, response } = await client.audio.transcriptions.create({ file: fs.createReadStream(fixture('jfk.flac')), model: 'whisper-1' }).withResponse();
  t.equal(words(data.text), JFK_WORDS);
  const id = response.headers.get('x-request-id');
  t.match(id, UUID);
  const [post] = (await requestLines(id)).filter((l) => l.method);
  t.match(post, { method: 'POST', url: '/v1/audio/transcriptions', status: 200 });

  const wrong = await fetch(`${url}/v1/models?api_key=${QUERY_SECRET}`, { headers: { authorization: `Bearer ${WRONG_KEY}` } });
  t.equal(wrong.status, 401);
  const wrongLines = await requestLines(wrong.headers.get('x-request-id'));
  t.match(wrongLines.find((l) => l.code), { status: 401, code: 'invalid_api_key' }, 'the refusal with its code');
  t.match(wrongLines.find((l) => l.method), { url: '/v1/models', status: 401 }, 'the path without its query');

  const none = await fetch(`${url}/v1/models`);
  t.equal(none.status, 401);
  t.match((await requestLines(none.headers.get('x-request-id'))).find((l) => l.code), { status: 401, code: 'missing_api_key', error_code: null });

  const form = new FormData();
  form.append('file', new Blob([Buffer.from('this is not audio at all')]), 'notes.txt');
  form.append('model', 'whisper-1');
  const bad = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: { authorization: `Bearer ${KEY}` } });
  t.equal(bad.status, 400);
  const badLines = await requestLines(bad.headers.get('x-request-id'));
  t.match(badLines.find((l) => l.code), { status: 400, code: 'invalid_file_format', param: 'file' });
  t.match(badLines.find((l) => l.method), { method: 'POST', status: 400 });
});

t.test('no key, no Authorization header, no query string in the log', async (t) => {
  const log = serve.stderr();
  t.ok(logLines().length >= 10, `the log has the lines above (${logLines().length})`);
  for (const secret of [KEY, WRONG_KEY, QUERY_SECRET]) t.notOk(log.includes(secret), `${secret} is not logged`);
  t.notMatch(log, /"(authorization|headers|req)"/i, 'no headers, no request object');
  t.notMatch(log, /Bearer [^<]/, 'no Bearer token');
});
