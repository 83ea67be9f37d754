// The page at `/`, in a real browser (Debian's Chromium driven by playwright-core): pick a
// fixture file, transcribe it, watch segments and progress arrive, play with the current segment
// highlighted, download the SRT. The screenshot is kept in .tap/artifacts/serve-page.png.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { fixture, root, assertWords } from './helpers.mjs';
import { startServe } from './servers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium) or set CHROMIUM_PATH`);

const KEY = 'page-key';
const { url } = await startServe(t, ['--model', 'tiny.en', '--api-key', KEY]);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] });
t.teardown(() => browser.close());

t.test('transcribe jfk.flac on the page', async (t) => {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 }, acceptDownloads: true });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  t.equal(await page.title(), 'ct2-whisper');
  t.match(await page.textContent('#status'), /API key/, 'asks for the key the server needs');
  await page.fill('#key', KEY);
  await page.press('#key', 'Tab');
  await page.waitForFunction(() => document.querySelectorAll('#model option').length > 0);
  t.same(await page.$$eval('#model option', (o) => o.map((x) => x.value)), ['whisper-1', 'tiny.en']);
  await page.selectOption('#model', 'tiny.en');
  await page.setInputFiles('#file', fixture('jfk.flac'));
  t.match(await page.textContent('#filename'), /jfk\.flac/);
  await page.click('#go');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('done'), null, { timeout: 120_000 });
  t.equal(await page.$eval('#progress', (p) => p.value), 100, 'the progress bar is full');
  const text = (await page.$$eval('#segments li span', (s) => s.map((x) => x.textContent))).join(' ');
  assertWords(t, text, 'the segments show the transcript');

  // Playing: the segment under the playhead is highlighted.
  await page.$eval('#player', (a) => { a.currentTime = 5; a.dispatchEvent(new Event('timeupdate')); });
  const current = await page.$$eval('#segments li.current', (l) => l.map((x) => [+x.dataset.start, +x.dataset.end]));
  t.equal(current.length, 1, 'one segment highlighted');
  t.ok(current[0][0] <= 5 && current[0][1] > 5, 'the one under the playhead');
  t.equal(await page.$eval('#model', (m) => m.value), 'tiny.en', 'the chosen model stays chosen');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#downloads button[data-format=srt]')]);
  t.equal(download.suggestedFilename(), 'jfk.srt');
  const srt = fs.readFileSync(await download.path(), 'utf8');
  t.match(srt, /^1\n00:00:0\d,\d{3} --> /, 'the SRT download');

  const dir = path.join(root, '.tap', 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, 'serve-page.png'), fullPage: true });
  t.same(errors, [], 'no errors on the page');
  await page.close();
});
