// The server's scheduler with live sessions' decodings: they go ahead of the file requests
// waiting (priority), a turn's final decoding runs alone (the sequential pipeline, as the library's
// transcribe), and partial decodings of two sessions share one engine call (the batched pipeline,
// their batch key being equal). Real model, real audio; no server.
import t from 'tap';
import { decodeAudio } from '../lib/audio.js';
import { decodeOptions } from '../lib/live/index.js';
import { ModelRegistry } from '../lib/server/models.js';
import { Scheduler } from '../lib/server/scheduler.js';
import { DEFAULT_SCHEDULER } from '../lib/server/app.js';
import { fixture, modelDir, assertWords, words } from './helpers.mjs';

t.test('live decodings go first; two sessions\' partials in one call', async (t) => {
  const models = new ModelRegistry([{ id: 'tiny.en', dir: modelDir('tiny.en') }], { device: 'cpu', computeType: 'int8', cpuThreads: 2 });
  const scheduler = new Scheduler(models, { ...DEFAULT_SCHEDULER, gatherMs: 50 });
  t.teardown(async () => {
    scheduler.close();
    await models.dispose();
  });
  const [jfk] = await decodeAudio(fixture('jfk.flac'));
  const model = models.find('tiny.en');
  await models.get(model); // loaded before the calls are counted
  const order = [];
  const job = (name, audio, options, more) =>
    scheduler.submit({ model, decode: async () => audio, options, ...more }).then((r) => (order.push(name), r));
  // A file request runs; another waits behind it when the live decodings come.
  const running = job('file 1', jfk, {}, { alone: false });
  await new Promise((r) => setTimeout(r, 300));
  const waiting = job('file 2', jfk, { beamSize: 2 }, { alone: false });
  const live = { language: 'en', vadFilter: false };
  const final = job('final', jfk.subarray(0, 5 * 16000), decodeOptions(live, 'final'), { alone: true, priority: true });
  const partials = [job('partial a', jfk.subarray(0, 3 * 16000), decodeOptions(live, 'partial'), { alone: false, priority: true }),
    job('partial b', jfk.subarray(0, 4 * 16000), decodeOptions(live, 'partial'), { alone: false, priority: true })];
  const before = scheduler.stats().engine_calls;
  const [a, b] = await Promise.all(partials);
  await Promise.all([running, waiting, final]);
  t.same(order.slice(0, 1), ['file 1'], 'the running request is not interrupted');
  t.same(order.slice(1, 4).sort(), ['final', 'partial a', 'partial b'], 'the live decodings, though submitted after it, before the waiting request');
  t.equal(order[4], 'file 2');
  t.equal(scheduler.stats().engine_calls - before, 3, 'the final, both partials in one call, the waiting request');
  t.match(words(a.segments.map((s) => s.text).join(' ')), /and so/, 'partial a');
  t.match(words(b.segments.map((s) => s.text).join(' ')), /and so my fellow/, 'partial b');
  assertWords(t, (await waiting).segments.map((s) => s.text).join(' '));
});
