// model.live: a recording pushed in 100 ms chunks, each processed before the next (settled()), so
// that the events are those of a real-time feed on an idle machine, whatever the load; checked: turns from the VAD, append-only deltas before each item's
// completed (few of their words changed by it), and each completed equal (float32) to transcribe() of the same stretch of audio.
import t from 'tap';
import { WhisperModel, decodeAudio, LiveTranscriber, decodeOptions, pcm16ToFloat } from '../lib/index.js';
import { Resampler } from '../lib/live/resample.js';
import { agreedPrefix, nextDelta } from '../lib/live/stable.js';
import { fixture, modelDir, words, JFK_WORDS } from './helpers.mjs';

/** Pushes `audio` (16 kHz) in 100 ms chunks, each settled before the next, then ends; resolves with every event. */
async function stream(live, audio, chunk = 1600) {
  const events = [];
  const reading = (async () => {
    for await (const e of live) events.push({ ...e, at: performance.now() });
  })();
  for (let i = 0; i < audio.length; i += chunk) {
    live.push(audio.subarray(i, i + chunk));
    await live.settled();
  }
  await live.end();
  await reading;
  return events;
}

const silence = (s) => new Float32Array(Math.round(s * 16000));
const join = (...parts) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

t.test('local agreement: only words two decodings agree on, never taken back', async (t) => {
  t.equal(agreedPrefix('And so my fellow', 'And so my fellow Americans'), 'And so my fellow');
  t.equal(agreedPrefix('And so my', 'And sew my'), 'And');
  t.equal(nextDelta('', 'And so'), 'And so');
  t.equal(nextDelta('And so', 'And so my'), ' my');
  t.equal(nextDelta('And so', 'And sew'), '', 'a changed word sends nothing');
  t.equal(nextDelta('And so', 'And sob'), '', 'only whole words');
  t.equal(agreedPrefix('our fathers brought', "our father's brought forth"), "our father's brought", 'words compared by their letters, case aside');
  t.equal(nextDelta("our father's", 'our fathers brought'), ' brought', 'a word sent spelled otherwise does not stop the deltas');
  t.equal(nextDelta('Americans.', 'Americans, ask not'), ' ask not');
  t.equal(nextDelta('', '. Ask'), '. Ask');
  t.equal(nextDelta('.', ', Ask'), '', 'punctuation alone is no word');
});

t.test('24 kHz PCM16 to 16 kHz: chunked equals whole, a tone keeps its frequency', async (t) => {
  const n = 24000;
  const tone = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 24000));
  const pcm = Buffer.alloc(n * 2);
  tone.forEach((v, i) => pcm.writeInt16LE(Math.round(v * 32767), i * 2));
  const f = pcm16ToFloat(pcm);
  const whole = new Resampler(24000).push(f);
  const r = new Resampler(24000);
  const parts = [];
  for (let i = 0; i < n; i += 777) parts.push(r.push(f.subarray(i, i + 777)));
  const chunked = join(...parts);
  t.equal(chunked.length, whole.length);
  t.ok(Math.abs(whole.length - 16000) < 40, `about 16000 samples (${whole.length})`);
  t.ok(chunked.every((v, i) => Math.abs(v - whole[i]) < 1e-5), 'chunk boundaries leave no seam');
  const expect = (i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000);
  const err = Math.max(...Array.from(whole.subarray(100, 15000), (v, i) => Math.abs(v - expect(i + 100))));
  t.ok(err < 0.02, `matches the tone at 16 kHz (max error ${err.toFixed(4)})`);
});

t.test('jfk.flac live (float32): deltas, turns, completed = transcribe of the same audio', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType: 'float32', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const [jfk] = await decodeAudio(fixture('jfk.flac'));
  const audio = join(silence(1), jfk, silence(1.5));
  const options = { language: 'en', beamSize: 1 };
  const events = await stream(model.live(options), audio);
  const types = events.map((e) => e.type);
  t.notOk(types.includes('failed') || types.includes('error'), `no failure (${types.join(' ')})`);
  const completed = events.filter((e) => e.type === 'completed');
  t.ok(completed.length >= 1, `${completed.length} items`);
  const byItem = new Map();
  for (const e of events) if (e.itemId) byItem.set(e.itemId, [...(byItem.get(e.itemId) ?? []), e.type]);
  for (const [id, seq] of byItem) {
    const deltas = seq.filter((x) => x === 'delta').length;
    const order = seq.filter((x) => x !== 'delta');
    t.same(order, ['speech_started', 'speech_stopped', 'committed', 'completed'], `${id}: the turn's events in order`);
    t.ok(seq.lastIndexOf('delta') < seq.indexOf('completed'), `${id}: deltas (${deltas}) before completed`);
  }
  const stopped = new Set();
  const early = events.filter((e) => (e.type === 'speech_stopped' && stopped.add(e.itemId), e.type === 'delta' && !stopped.has(e.itemId)));
  t.ok(early.length >= 1, `text came as deltas while speech went on (${JSON.stringify(early.map((e) => e.delta))})`);
  // Deltas are what two partial decodings agreed on, and the completed text may still change a
  // word of them (a turn's first words, heard from little audio, most often): counted over the items.
  let sentWords = 0;
  let changed = 0;
  for (const c of completed) {
    const slice = audio.slice((c.audioStartMs * 16000) / 1000, (c.audioEndMs * 16000) / 1000);
    const file = await model.transcribe(slice, options);
    t.equal(c.text, file.segments.map((s) => s.text).join('').trim(), `${c.itemId} [${c.audioStartMs}, ${c.audioEndMs}] ms: completed = the file transcription's text`);
    const sent = events.filter((e) => e.type === 'delta' && e.itemId === c.itemId).map((e) => e.delta).join('');
    if (c.text.startsWith(sent)) t.equal(sent, c.text, `${c.itemId}: the deltas add up to the completed text`);
    const final = words(c.text).split(' ');
    const mine = words(sent).split(' ').filter(Boolean);
    sentWords += mine.length;
    changed += mine.filter((w, i) => final[i] !== w).length;
  }
  t.ok(sentWords >= 10 && changed <= sentWords / 5, `the completed texts changed ${changed} of the ${sentWords} words sent as deltas`);
  t.equal(words(completed.map((c) => c.text).join(' ')), JFK_WORDS, 'the items together say the recording');
  const first = completed[0];
  t.ok(first.audioStartMs > 500 && first.audioStartMs < 1300, `speech starts near 1 s (${first.audioStartMs} ms)`);
});

t.test('a turn that ends while the last item\'s final decoding (begun early) runs leaves that item alone', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType: 'int8', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const [jfk] = await decodeAudio(fixture('jfk.flac'));
  const audio = join(silence(1), jfk, silence(1.5));
  // Fed at real time, final decodings held back 2.5 s (a busy engine): jfk.flac's short second turn ends meanwhile.
  const live = new LiveTranscriber(async (a, signal, kind) => {
    if (kind === 'final') await new Promise((r) => setTimeout(r, 2500));
    return model.transcribe(a, { ...decodeOptions({}, kind), signal });
  });
  const events = [];
  const reading = (async () => {
    for await (const e of live) events.push(e);
  })();
  for (let i = 0; i < audio.length; i += 1600) {
    live.push(audio.subarray(i, i + 1600));
    await new Promise((r) => setTimeout(r, 100));
  }
  await live.end();
  await reading;
  const stopped = events.filter((e) => e.type === 'speech_stopped').length;
  t.ok(stopped >= 2, `${stopped} turns`);
  t.same(events.filter((e) => e.type === 'failed').map((e) => e.error.message), [], 'no item failed');
  t.equal(events.filter((e) => e.type === 'completed').length, stopped, 'each turn completed');
  t.equal(words(events.filter((e) => e.type === 'completed').map((e) => e.text).join(' ')), JFK_WORDS);
});

t.test('manual turns (turnDetection null): commit makes an item; too little audio is an error event; clear drops', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType: 'float32', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const [jfk] = await decodeAudio(fixture('jfk.flac'));
  const live = model.live({ turnDetection: null, inputRate: 16000 });
  const events = [];
  const reading = (async () => {
    for await (const e of live) events.push(e);
  })();
  await live.commit();
  live.push(silence(2));
  await live.clear();
  live.push(jfk);
  await live.commit();
  await live.end();
  await reading;
  t.same(events.map((e) => e.type).filter((x) => x !== 'delta'), ['error', 'cleared', 'committed', 'completed']);
  t.equal(events[0].code, 'input_audio_buffer_commit_empty');
  const c = events.find((e) => e.type === 'completed');
  t.equal(c.audioStartMs, 2000, 'the cleared audio is not in the item');
  t.equal(c.text, (await model.transcribe(jfk)).segments.map((s) => s.text).join('').trim());
  t.throws(() => live.push(jfk), /ended/);
});

t.test('bad settings fail at once', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 1 });
  t.teardown(() => model.dispose());
  t.throws(() => model.live({ inputRate: 44100 }), /inputRate/);
  t.throws(() => model.live({ turnDetection: { threshold: 2 } }), /threshold/);
  t.throws(() => model.live({ beamSize: 0 }), /beamSize/);
  t.throws(() => new LiveTranscriber(async () => ({}), { partialIntervalMs: 1 }), /partialIntervalMs/);
});
