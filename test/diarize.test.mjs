// Issue 12: who spoke when. Diarization (pyannote segmentation-3.0 + CAM++, converted to ONNX by
// scripts/fetch-models.mjs) on real recordings whose truth is known without a model's say:
// stereo_diarization.wav has one speaker per channel, so the channels mixed to mono are a
// two-speaker recording whose reference turns are each channel's speech (Silero VAD on the
// channel alone); and a conversation cut and joined from two single-speaker fixtures. Speaker
// verification with samples cut from each channel; transcribe's `diarize` option and the CLI's
// --diarize; bad inputs.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { fixture, modelDir, tmpDir, runCli, diarizationErrorRate, wavBytes, words } from './helpers.mjs';
import { startHubStandIn } from './servers.mjs';
import { WhisperModel, decodeAudio, getSpeechTimestamps } from '../lib/index.js';
import { diarize } from '../lib/index.js';

const SR = 16000;

/** A channel's speech as reference turns of `speaker` (Silero VAD on that channel alone), shifted by `offset` s. */
async function speechOf(samples, speaker, offset = 0) {
  const speech = await getSpeechTimestamps(samples, { minSilenceDurationMs: 250, speechPadMs: 30 });
  return speech.map((s) => ({ start: offset + s.start / SR, end: offset + s.end / SR, speaker }));
}

/** Seconds of `turns` of `speaker` inside [start, end]. */
function timeIn(turns, speaker, start, end) {
  return turns.filter((x) => x.speaker === speaker).reduce((a, x) => a + Math.max(0, Math.min(end, x.end) - Math.max(start, x.start)), 0);
}

const [left, right] = await decodeAudio(fixture('stereo_diarization.wav'), { splitChannels: true });
const mixed = left.map((x, i) => (x + right[i]) / 2);
const stereoReference = [...(await speechOf(left, 'left')), ...(await speechOf(right, 'right'))];

// Two speakers taking turns: JFK, Lincoln, JFK, Lincoln (cut at pauses of the fixtures).
const [jfk] = await decodeAudio(fixture('jfk.flac'));
const [lincoln] = await decodeAudio(fixture('gettysburg.wav'));
const parts = [[jfk.subarray(0, 6 * SR), 'jfk'], [lincoln.subarray(0, 5 * SR), 'lincoln'], [jfk.subarray(6 * SR), 'jfk'], [lincoln.subarray(5 * SR), 'lincoln']];
const conversation = new Float32Array(parts.reduce((a, [p]) => a + p.length, 0));
const conversationReference = [];
let at = 0;
for (const [p, who] of parts) {
  conversation.set(p, at);
  conversationReference.push(...(await speechOf(p, who, at / SR)));
  at += p.length;
}

t.test('the stereo fixture mixed to mono: two speakers, each channel labelled with one of them', async (t) => {
  const d = await diarize(mixed);
  t.equal(d.speakers.length, 2, `two speakers: ${JSON.stringify(d.speakers)}`);
  t.same(d.speakers.map((s) => s.speaker), ['SPEAKER_00', 'SPEAKER_01']);
  const score = diarizationErrorRate(stereoReference, d.turns);
  t.comment(`DER on the mixed stereo fixture: ${(score.der * 100).toFixed(1)} % (missed ${score.missed.toFixed(2)} s, false alarm ${score.falseAlarm.toFixed(2)} s, confusion ${score.confusion.toFixed(2)} s of ${score.reference.toFixed(2)} s)`);
  t.ok(score.der < 0.25, `DER ${score.der.toFixed(3)} under 25 %`);
  // Each channel's speech is labelled with one speaker (the one whose turns match it best, by
  // intersection over union: the left speaker talks all along, over the right one), two in all.
  const labelOf = (channel) => {
    const ref = stereoReference.filter((r) => r.speaker === channel);
    const speech = ref.reduce((a, r) => a + r.end - r.start, 0);
    const scores = d.speakers.map((s) => {
      const inter = ref.reduce((a, r) => a + timeIn(d.turns, s.speaker, r.start, r.end), 0);
      return { s: s.speaker, share: inter / speech, iou: inter / (speech + s.duration - inter) };
    });
    scores.sort((a, b) => b.iou - a.iou);
    return scores[0];
  };
  const l = labelOf('left');
  const r = labelOf('right');
  t.not(l.s, r.s, 'the channels get different speakers');
  t.ok(l.share > 0.8 && r.share > 0.8, `each channel's speech is its speaker's (left ${l.share.toFixed(2)}, right ${r.share.toFixed(2)})`);
  t.ok(l.iou > 0.7 && r.iou > 0.7, `and that speaker's turns are that channel's speech (IoU left ${l.iou.toFixed(2)}, right ${r.iou.toFixed(2)})`);
  // The right channel's speaker is not heard once the right channel is silent (after 2.7 s).
  t.ok(timeIn(d.turns, r.s, 2.8, 5) < 0.2, 'the right speaker is not given the left speaker\'s solo');
});

t.test('a two-speaker conversation: speaker turns follow the cuts', async (t) => {
  const d = await diarize(conversation);
  t.equal(d.speakers.length, 2);
  const score = diarizationErrorRate(conversationReference, d.turns);
  t.comment(`DER on the jfk/gettysburg conversation: ${(score.der * 100).toFixed(1)} % (missed ${score.missed.toFixed(2)} s, false alarm ${score.falseAlarm.toFixed(2)} s, confusion ${score.confusion.toFixed(2)} s of ${score.reference.toFixed(2)} s)`);
  t.ok(score.der < 0.2, `DER ${score.der.toFixed(3)} under 20 %`);
  // With the count given, the same answer; with one speaker forced, one speaker.
  t.equal((await diarize(conversation, { numSpeakers: 2 })).speakers.length, 2);
  t.equal((await diarize(conversation, { maxSpeakers: 1 })).speakers.length, 1, 'maxSpeakers bounds the count');
  t.equal((await diarize(mixed, { minSpeakers: 3 })).speakers.length >= 2, true, 'minSpeakers asks for more clusters (as many as the recording can give)');
});

/** The speaker with the most speech in [start, end] of `d`, and its share of the speech there. */
function dominantIn(d, start, end) {
  const shares = d.speakers.map((s) => ({ speaker: s.speaker, time: timeIn(d.turns, s.speaker, start, end) })).sort((a, b) => b.time - a.time);
  const total = shares.reduce((a, x) => a + x.time, 0);
  return { speaker: shares[0]?.speaker, share: total ? shares[0].time / total : 0 };
}

t.test('long recordings: one speaker stays one speaker, and different readers stay apart', async (t) => {
  // NM014.mp3: 2.5 min of one speaker. Clustering every local embedding split it into 3 speakers
  // (short or overlapped stretches gave embeddings off the speaker's own).
  const [nm014] = await decodeAudio(fixture('NM014.mp3'));
  const one = await diarize(nm014);
  t.equal(one.speakers.length, 1, `NM014.mp3 is one speaker: ${JSON.stringify(one.speakers)}`);
  // jfk.flac then gettysburg.wav, joined as they are: two speakers, each holding its own recording.
  const joined = new Float32Array(jfk.length + lincoln.length);
  joined.set(jfk);
  joined.set(lincoln, jfk.length);
  const two = await diarize(joined);
  t.equal(two.speakers.length, 2, `jfk + gettysburg joined: two speakers: ${JSON.stringify(two.speakers)}`);
  const a = dominantIn(two, 0, jfk.length / SR);
  const b = dominantIn(two, jfk.length / SR, joined.length / SR);
  t.not(a.speaker, b.speaker, 'one each');
  t.ok(a.share > 0.9 && b.share > 0.9, `each recording is its speaker's (${a.share.toFixed(2)}, ${b.share.toFixed(2)})`);
  // Arthur.mp3 is NOT one speaker: "Arthur the Rat" read in turn by about nine readers, the voice
  // changing at paragraph ends (25, 45, 70, 105, 130, 160, 180, 205 s), where the median pitch
  // (about 150 Hz in the first 25 s, 100-110 Hz at 70-100 s, 200-240 Hz at 130-160 s), the level
  // (-8 dB at 70-100 s, -17 dB at 105-125 s) and the noise floor jump, and where the segmentation
  // model itself sees a change of speaker within its windows. Repeated in the hour bench, each
  // paragraph gets the same label in every copy. So: several speakers, each paragraph one of them.
  const [arthur] = await decodeAudio(fixture('Arthur.mp3'));
  const many = await diarize(arthur);
  t.ok(many.speakers.length >= 5 && many.speakers.length <= 9, `Arthur.mp3: several readers, at most one per paragraph (${many.speakers.length})`);
  const first = dominantIn(many, 0, 20);
  const high = dominantIn(many, 135, 158);
  const low = dominantIn(many, 75, 100);
  t.ok(first.share > 0.95 && high.share > 0.95 && low.share > 0.95, `each paragraph is one reader's (${first.share.toFixed(2)}, ${high.share.toFixed(2)}, ${low.share.toFixed(2)})`);
  t.equal(new Set([first.speaker, high.speaker, low.speaker]).size, 3, 'three readers of different pitch are three speakers');
});

t.test('clustering: embeddings of too little clean speech and clusters too small do not make speakers', async (t) => {
  const { clusterSpeakers } = await import('../lib/diarize/clustering.js');
  const unit = (v) => { const n = Math.hypot(...v); return Float32Array.from(v, (x) => x / n); };
  let seed = 7;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.3;
  const around = (axis) => unit(Array.from({ length: 8 }, (_, d) => (d === axis ? 1 : 0) + noise()));
  const local = [
    ...Array.from({ length: 20 }, () => ({ vector: around(0), clean: 500 })),
    ...Array.from({ length: 20 }, () => ({ vector: around(1), clean: 500 })),
    // Off-speaker embeddings: little clean speech (assigned to the nearest speaker), or clean but
    // only two of them (a cluster too small: folded into the nearest large one).
    { vector: around(2), clean: 50 },
    { vector: around(3), clean: 0 },
    { vector: unit([0.3, 0, 0, 0, 1, 0, 0, 0]), clean: 500 },
    { vector: unit([0.3, 0, 0, 0, 1, 0.1, 0, 0]), clean: 500 },
  ];
  const opts = { threshold: 0.4, minSpeakers: 1, maxSpeakers: 64, minCleanFrames: 200, minClusterSize: 12 };
  const labels = await clusterSpeakers(local, opts);
  t.equal(new Set(labels).size, 2, 'two speakers');
  t.same(new Set(labels.slice(0, 20)).size + new Set(labels.slice(20, 40)).size, 2, 'each group one');
  t.equal(labels[42], labels[0], 'the small cluster joins the speaker it is nearest');
  t.equal((await clusterSpeakers(local, { ...opts, maxSpeakers: 1 })).every((l) => l === 0), true, 'maxSpeakers');
  t.ok(new Set(await clusterSpeakers(local, { ...opts, minSpeakers: 3 })).size >= 3, 'minSpeakers keeps the small cluster');
  t.same(await clusterSpeakers([], opts), []);
  t.same(await clusterSpeakers([{ vector: around(0), clean: 0 }], opts), [0], 'one embedding of little speech is still a speaker');
});

t.test('speaker verification: samples cut from each channel name the right turns', async (t) => {
  const dir = tmpDir(t);
  // Left alone from 2.4 s; right alone (its own channel) from 0.25 to 2.3 s; one as a file, one as samples.
  fs.writeFileSync(path.join(dir, 'left.wav'), wavBytes(left.subarray(Math.round(2.4 * SR), Math.round(4.7 * SR))));
  const d = await diarize(mixed, {
    speakerSamples: [
      { name: 'Right', audio: right.subarray(Math.round(0.25 * SR), Math.round(2.3 * SR)) },
      { name: 'Left', audio: path.join(dir, 'left.wav') },
    ],
  });
  t.same(d.speakers.map((s) => s.speaker).sort(), ['Left', 'Right'], JSON.stringify(d.speakers));
  t.ok(d.speakers.every((s) => s.matched && s.similarity >= 0.45), 'both matched above the threshold');
  t.ok(timeIn(d.turns, 'Right', 0.4, 2.2) > 1.5, 'Right speaks while the right channel does');
  t.ok(timeIn(d.turns, 'Right', 2.8, 5) < 0.2, 'and not after');
  t.ok(timeIn(d.turns, 'Left', 2.8, 4.5) > 1.5, 'Left speaks alone at the end');
  // A sample of someone else: the speakers keep their labels (nobody matches Lincoln).
  const other = await diarize(mixed, { speakerSamples: [{ name: 'Lincoln', audio: lincoln.subarray(0, 4 * SR) }] });
  t.same(other.speakers.map((s) => s.speaker), ['SPEAKER_00', 'SPEAKER_01']);
  t.ok(other.speakers.every((s) => s.matched === false), 'unmatched');
});

t.test('the CLI: --speaker-sample NAME=PATH (repeatable) names the speakers', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'mixed.wav');
  fs.writeFileSync(file, wavBytes(mixed));
  fs.writeFileSync(path.join(dir, 'left.wav'), wavBytes(left.subarray(Math.round(2.4 * SR), Math.round(4.7 * SR))));
  fs.writeFileSync(path.join(dir, 'right.wav'), wavBytes(right.subarray(Math.round(0.25 * SR), Math.round(2.3 * SR))));
  const base = ['transcribe', file, '--model', modelDir('tiny.en'), '--threads', '2', '--quiet'];
  // No --diarize: the samples imply it.
  const r = await runCli([...base, '--format', 'json', '--speaker-sample', `Right=${path.join(dir, 'right.wav')}`, `--speaker-sample=Left=${path.join(dir, 'left.wav')}`]);
  t.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.same(doc.speakers.map((s) => s.speaker).sort(), ['Left', 'Right'], JSON.stringify(doc.speakers));
  t.ok(doc.speakers.every((s) => s.matched), 'both matched');
  t.ok(doc.segments.some((s) => s.speaker === 'Left'), 'segments carry the names');
  const bad = async (args, message) => {
    const b = await runCli([...base, ...args]);
    t.equal(b.status, 2, `usage error for ${args.join(' ')}`);
    t.match(b.stderr, message);
  };
  await bad(['--speaker-sample', 'Left'], /--speaker-sample must be NAME=PATH/);
  await bad(['--speaker-sample', `Left=${path.join(dir, 'nowhere.wav')}`], /--speaker-sample Left: no such file/);
  await bad(['--speaker-sample', `A=${path.join(dir, 'left.wav')}`, '--speaker-sample', `A=${path.join(dir, 'right.wav')}`], /names "A" twice/);
  await bad(['--no-diarize', '--speaker-sample', `A=${path.join(dir, 'left.wav')}`], /--speaker-sample needs --diarize/);
});

t.test('transcribe with diarize labels segments and words; the CLI prints the labels', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const r = await model.transcribe(conversation, { language: 'en', wordTimestamps: true, diarize: { maxSpeakers: 2 } });
  t.equal(r.speakers.length, 2);
  const all = r.segments.flatMap((s) => s.words);
  // Words inside each part carry that part's speaker (the part's label is the one most of its words get).
  let start = 0;
  const labelOfPart = [];
  for (const [p, who] of parts) {
    const end = start + p.length / SR;
    const inside = all.filter((w) => w.start >= start + 0.3 && w.end <= end - 0.3);
    const counts = {};
    for (const w of inside) counts[w.speaker] = (counts[w.speaker] ?? 0) + 1;
    const [label, n] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
    t.ok(n / inside.length >= 0.8, `${who} [${start}-${end}]: ${n} of ${inside.length} words are ${label}`);
    labelOfPart.push([who, label]);
    start = end;
  }
  const byWho = Object.fromEntries(labelOfPart.map(([w, l]) => [w, l]));
  t.not(byWho.jfk, byWho.lincoln, 'two labels');
  t.ok(labelOfPart.every(([w, l]) => byWho[w] === l), 'the same speaker each time they speak');
  for (const s of r.segments) t.ok(typeof s.speaker === 'string', `segment ${s.id} has a speaker`);
  t.ok(words(r.segments.map((s) => s.text).join(' ')).includes('seven years ago'), 'the words are there too');

  const dir = tmpDir(t);
  const file = path.join(dir, 'conversation.wav');
  fs.writeFileSync(file, wavBytes(conversation));
  const cli = await runCli(['transcribe', file, '--model', modelDir('tiny.en'), '--diarize', '--max-speakers', '2', '--format', 'srt', '--threads', '2', '--quiet']);
  t.equal(cli.status, 0, cli.stderr);
  t.match(cli.stdout, /^1\n00:00:0\d,\d{3} --> .*\n\[SPEAKER_0[01]\]: /m, 'srt cues start with the speaker');
  t.ok(cli.stdout.includes('[SPEAKER_00]') && cli.stdout.includes('[SPEAKER_01]'), 'both speakers in the srt');
  const json = await runCli(['transcribe', file, '--model', modelDir('tiny.en'), '--diarize', '--format', 'json', '--threads', '2', '--quiet']);
  t.equal(json.status, 0, json.stderr);
  const doc = JSON.parse(json.stdout);
  t.equal(doc.speakers.length, 2, 'json has the speakers summary');
  t.ok(doc.segments.every((s) => s.speaker), 'and the segments their speaker');
  const bad = await runCli(['transcribe', file, '--model', modelDir('tiny.en'), '--min-speakers', '3', '--max-speakers', '2']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--min-speakers \(3\) is more than --max-speakers \(2\)/);
});

t.test('bad inputs: clear errors; no speech: no speakers and no error', async (t) => {
  await t.rejects(diarize(mixed, { minSpeakers: 3, maxSpeakers: 2 }), { code: 'ERR_INPUT', message: /minSpeakers \(3\) is more than diarize.maxSpeakers \(2\)/ });
  await t.rejects(diarize(mixed, { minSpeakers: 0 }), { code: 'ERR_INPUT', message: /minSpeakers must be an integer of at least 1 and at most 64, got 0/ });
  await t.rejects(diarize(mixed, { maxSpeakers: -2 }), { code: 'ERR_INPUT', message: /maxSpeakers must be an integer of at least 1 and at most 64, got -2/ });
  await t.rejects(diarize(mixed, { numSpeakers: 1.5 }), { code: 'ERR_INPUT', message: /numSpeakers/ });
  await t.rejects(
    diarize(mixed, { speakerSamples: [{ name: 'Text', audio: Buffer.from('this is not audio at all, just some text'.repeat(20)) }] }),
    { code: 'ERR_INPUT', message: /speaker sample "Text" \(speakerSamples\[0\]\) could not be read as audio/ },
  );
  await t.rejects(diarize(mixed, { speakerSamples: [{ name: 'Short', audio: left.subarray(0, 1000) }] }), { code: 'ERR_INPUT', message: /"Short".* too short/ });
  await t.rejects(diarize(mixed, { speakerSamples: [{ name: '', audio: left }] }), { code: 'ERR_INPUT', message: /name must be a non-empty string/ });
  await t.rejects(diarize(mixed, { diarizationModel: tmpDir(t) }), { code: 'ERR_MODEL', message: /does not hold both segmentation.onnx and embedding.onnx/ });
  const model = await WhisperModel.load(modelDir('tiny.en'), { cpuThreads: 2 });
  t.teardown(() => model.dispose());
  await t.rejects(model.transcribe(mixed, { diarize: { maxSpeakers: 0 } }), { code: 'ERR_INPUT', message: /maxSpeakers/ });
  await t.rejects(model.transcribe(fixture('stereo_diarization.wav'), { diarize: true, splitChannels: true }), { code: 'ERR_INPUT', message: /splitChannels/ });

  await t.rejects(diarize(conversation, { signal: AbortSignal.abort() }), { name: 'AbortError' }, "an aborted call stops with the signal's reason");
  await t.rejects(diarize(conversation, { timeoutMs: 1 }), { code: 'ERR_TIMEOUT', message: /the diarization ran past its time limit/ });
  const silence = new Float32Array(6 * SR);
  const none = await diarize(silence);
  t.same(none, { turns: [], speakers: [], duration: 6 }, 'silence: no speakers');
  const quiet = await model.transcribe(silence, { diarize: true, wordTimestamps: true });
  t.same(quiet.speakers, [], 'transcribe on silence: no speakers');
  t.ok(quiet.segments.every((s) => s.speaker === undefined), 'and no labels');
  // The model still works after all that (the errors were the calls', not the process's).
  t.equal((await diarize(mixed)).speakers.length, 2);
});

t.test('the models by Hub repository id: fetched into the Hub cache, then found offline', async (t) => {
  const hub = await startHubStandIn(t, 'someone/diarization-onnx', modelDir('diarization'));
  const hubCache = tmpDir(t);
  const locations = { hub: { endpoint: hub.base, cacheDir: hubCache } };
  const d = await diarize(mixed, { diarizationModel: 'someone/diarization-onnx', locations });
  t.equal(d.speakers.length, 2, 'diarized with the downloaded models');
  t.ok(hub.requests.some((r) => r.includes('/resolve/') && r.includes('embedding.onnx')), 'embedding.onnx fetched');
  t.notOk(hub.requests.some((r) => r.includes('/resolve/') && r.includes('LICENSE')), 'only the two model files');
  const offline = await diarize(mixed, { diarizationModel: 'someone/diarization-onnx', locations: { hub: { cacheDir: hubCache, offline: true } } });
  t.equal(offline.speakers.length, 2, 'offline: from the Hub cache');
  await t.rejects(diarize(mixed, { diarizationModel: 'someone/elsewhere', locations }), { code: 'ERR_MODEL', message: /someone\/elsewhere/ });
});
