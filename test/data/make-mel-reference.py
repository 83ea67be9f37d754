"""Writes mel-reference.json: log-mel values computed by faster-whisper's own FeatureExtractor
on the left channel of ../shared/fixtures/audio/stereo_diarization.wav (16 kHz PCM, so no
resampling stands between the two implementations). Run it with the bench venv's python:
  ~/.cache/ct2-whisper/bench-venv/bin/python test/data/make-mel-reference.py
"""
import json
import os
import wave

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

here = os.path.dirname(os.path.abspath(__file__))
fixture = os.path.join(here, "..", "..", "..", "shared", "fixtures", "audio", "stereo_diarization.wav")
with wave.open(fixture) as w:
    assert w.getframerate() == 16000 and w.getsampwidth() == 2
    raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
left = raw[:, 0].astype(np.float32) / 32768.0

out = {"fixture": "audio/stereo_diarization.wav", "channel": 0, "samples": int(left.shape[0])}
rng = np.random.default_rng(7)
for n_mels in (80, 128):
    mel = FeatureExtractor(feature_size=n_mels)(left)
    idx = [(int(m), int(f)) for m, f in zip(rng.integers(0, n_mels, 300), rng.integers(0, mel.shape[1], 300))]
    out[str(n_mels)] = {
        "shape": list(mel.shape),
        "mean": float(mel.mean()),
        "points": [[m, f, float(mel[m, f])] for m, f in idx],
        "first_frame": [float(v) for v in mel[:, 0]],
        "last_frame": [float(v) for v in mel[:, -1]],
    }
with open(os.path.join(here, "mel-reference.json"), "w") as f:
    json.dump(out, f)
print("wrote mel-reference.json", {k: v["shape"] for k, v in out.items() if isinstance(v, dict)})
