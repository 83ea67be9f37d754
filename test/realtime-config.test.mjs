// The realtime session's settings (OpenAI's session.update and the older
// transcription_session.update) and G.711 decoding (audio/pcmu, audio/pcma).
import t from 'tap';
import { applySessionUpdate, applyTranscriptionSessionUpdate, defaultConfig, sessionJson, oldSessionJson, ConfigError } from '../lib/server/realtime/config.js';
import { g711ToFloat } from '../lib/server/realtime/g711.js';

t.test('G.711: the standard\'s values', async (t) => {
  const u = g711ToFloat(Uint8Array.from([0xff, 0x7f, 0x80, 0x00]), 'pcmu');
  t.same(Array.from(u, (x) => Math.round(x * 32768)), [0, 0, 32124, -32124], 'µ-law: silence, the extremes');
  const a = g711ToFloat(Uint8Array.from([0xd5, 0x55, 0xaa, 0x2a]), 'pcma');
  t.same(Array.from(a, (x) => Math.round(x * 32768)), [8, -8, 32256, -32256], 'A-law: the smallest steps, the extremes');
});

t.test('session.update: OpenAI\'s transcription session, checked', async (t) => {
  const c = applySessionUpdate(defaultConfig(), {
    type: 'transcription',
    audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, transcription: { model: 'whisper-1', language: 'de', prompt: 'Hallo' }, turn_detection: { type: 'server_vad', silence_duration_ms: 800 } } },
    include: ['item.input_audio_transcription.logprobs'],
  });
  t.same(c.format, { type: 'audio/pcm', rate: 16000 });
  t.same(c.transcription, { model: 'whisper-1', language: 'de', prompt: 'Hallo' });
  t.same(c.turnDetection, { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 800 }, 'fields not given keep their values');
  const json = sessionJson('sess_1', c);
  t.same(json.audio.input.turn_detection, { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 800 });
  t.equal(applySessionUpdate(c, { type: 'transcription', audio: { input: { turn_detection: null } } }).turnDetection, null, 'null turns detection off');
  const refuse = (session, param) => {
    const e = (() => { try { applySessionUpdate(c, session); } catch (err) { return err; } })();
    t.ok(e instanceof ConfigError && e.param === param, `refused, naming ${param}: ${e?.message}`);
  };
  refuse({ type: 'realtime' }, 'session.type');
  refuse({ type: 'transcription', audio: { input: { turn_detection: { type: 'semantic_vad' } } } }, 'session.audio.input.turn_detection.type');
  refuse({ type: 'transcription', audio: { input: { turn_detection: { threshold: 1.5 } } } }, 'session.audio.input.turn_detection.threshold');
  refuse({ type: 'transcription', audio: { input: { format: { type: 'audio/pcm', rate: 8000 } } } }, 'session.audio.input.format.rate');
  refuse({ type: 'transcription', include: ['nope'] }, 'session.include');
});

t.test('transcription_session.update: the older shape', async (t) => {
  const c = applyTranscriptionSessionUpdate(defaultConfig(), { input_audio_format: 'g711_ulaw', input_audio_transcription: { model: 'whisper-1', language: 'en' }, turn_detection: { type: 'server_vad', threshold: 0.6 } });
  t.same(c.format, { type: 'audio/pcmu' });
  t.equal(c.turnDetection.threshold, 0.6);
  t.equal(oldSessionJson('sess_1', c).input_audio_format, 'g711_ulaw');
  t.throws(() => applyTranscriptionSessionUpdate(c, { input_audio_format: 'mp3' }), { param: 'session.input_audio_format' });
});
