"""Writes vad-reference.json: faster-whisper's get_speech_timestamps (its own Silero VAD runner) on
fixtures decoded by its own decoder. Run with the bench venv's python:
  ~/.cache/ct2-whisper/bench-venv/bin/python test/data/make-vad-reference.py
"""
import json
import os

from faster_whisper.audio import decode_audio
from faster_whisper.vad import VadOptions, get_speech_timestamps

here = os.path.dirname(os.path.abspath(__file__))
audio_dir = os.path.join(here, "..", "..", "..", "shared", "fixtures", "audio")
cases = {
    "NM014.mp3": dict(min_silence_duration_ms=160, max_speech_duration_s=30),
    "Arthur.mp3": dict(min_silence_duration_ms=160, max_speech_duration_s=30),
    "jfk.flac": dict(min_silence_duration_ms=500, speech_pad_ms=200),
    "multilingual.mp3": dict(),
}
out = {}
for name, params in cases.items():
    audio = decode_audio(os.path.join(audio_dir, name))
    out[name] = {"params": params, "speech": get_speech_timestamps(audio, VadOptions(**params))}
with open(os.path.join(here, "vad-reference.json"), "w") as f:
    json.dump(out, f)
print({k: len(v["speech"]) for k, v in out.items()})
