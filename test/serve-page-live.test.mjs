// The page's microphone button in Chromium with a fake microphone playing jfk.flac (Chromium's
// --use-file-for-fake-audio-capture): the page streams it to /v1/realtime and the spoken words
// appear as final lines. The screenshot is kept in .tap/artifacts/serve-page-live.png.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { fixture, root, tmpDir, words, wordErrorRate, JFK_WORDS } from './helpers.mjs';
import { startServe } from './servers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium) or set CHROMIUM_PATH`);

const KEY = 'page-key';
const dir = tmpDir(t);
// The fake microphone: 1 s of silence, the speech, 3 s of silence (Chromium loops the file).
const wav = path.join(dir, 'mic.wav');
const ff = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-i', fixture('jfk.flac'), '-filter_complex',
  '[0]atrim=0:1[a];[1]aresample=48000,pan=mono|c0=c0[b];[0]atrim=0:3[c];[a][b][c]concat=n=3:v=0:a=1', '-ar', '48000', '-ac', '1', '-c:a', 'pcm_s16le', wav]);
if (ff.status !== 0) throw new Error(`ffmpeg: ${ff.stderr}`);

const { url } = await startServe(t, ['--model', 'tiny.en', '--api-key', KEY]);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'],
});
t.teardown(() => browser.close());

t.test('the microphone button: the spoken words appear on the page', async (t) => {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  await context.grantPermissions(['microphone'], { origin: url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.fill('#key', KEY);
  await page.press('#key', 'Tab');
  await page.waitForFunction(() => document.querySelectorAll('#model option').length > 0);
  await page.selectOption('#model', 'tiny.en');
  await page.fill('#language', 'en');
  await page.click('#mic');
  // The last words of the recording in a final line (the file loops; a slow machine gets time).
  await page.waitForFunction(() => /your country\.?\s*$/i.test([...document.querySelectorAll('#live-lines li')].map((l) => l.textContent).join(' ')), null, { timeout: 180_000 });
  const lines = await page.$$eval('#live-lines li', (l) => l.map((x) => x.textContent));
  // The first pass of the looped file: VAD turns cut the sentence, and tiny.en hears a short turn
  // with less context than the whole file ("my" as "am I"), hence a looser bound than int8's.
  const first = words(lines.join(' ')).split(' ').slice(0, 22).join(' ');
  const wer = wordErrorRate(JFK_WORDS, first);
  t.ok(lines.length >= 1 && wer <= 0.3, `the words appear as lines (WER ${wer.toFixed(3)} <= 0.3): ${JSON.stringify(lines)}`);
  t.equal(await page.textContent('#mic'), '■ Stop', 'the button stops it');
  await page.click('#mic');
  t.equal(await page.textContent('#mic'), '🎤 Live');
  const art = path.join(root, '.tap', 'artifacts');
  fs.mkdirSync(art, { recursive: true });
  await page.screenshot({ path: path.join(art, 'serve-page-live.png'), fullPage: true });
  t.same(errors, [], 'no errors on the page');
  await context.close();
});
