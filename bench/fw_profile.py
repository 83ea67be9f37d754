"""faster-whisper, stage by stage: one transcription of an audio file with each stage's calls
timed from outside (faster-whisper's own functions and the CTranslate2 model are wrapped, none of
their code is changed). Prints JSON: seconds per stage, time to the first segment, peak RSS.
Usage: fw_profile.py MODEL_DIR AUDIO_FILE OPTIONS_JSON"""
import json
import resource
import sys
import time

t_start = time.perf_counter()
import faster_whisper.transcribe as fwt  # noqa: E402
from faster_whisper import BatchedInferencePipeline, WhisperModel  # noqa: E402
from faster_whisper.feature_extractor import FeatureExtractor  # noqa: E402

stages = {k: 0.0 for k in ("decode", "vad", "features", "encode", "language", "generate", "align")}


def timed(stage, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            stages[stage] += time.perf_counter() - t0
    return wrapper


class TimedModel:
    """The ctranslate2.models.Whisper, with its calls timed."""

    def __init__(self, inner):
        self._inner = inner
        self.encode = timed("encode", inner.encode)
        self.generate = timed("generate", inner.generate)
        self.align = timed("align", inner.align)
        self.detect_language = timed("language", inner.detect_language)

    def __getattr__(self, name):
        return getattr(self._inner, name)


fwt.decode_audio = timed("decode", fwt.decode_audio)
fwt.get_speech_timestamps = timed("vad", fwt.get_speech_timestamps)
FeatureExtractor.__call__ = timed("features", FeatureExtractor.__call__)

model_dir, audio_path, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
load = options.pop("load")
model = WhisperModel(model_dir, device=load["device"], compute_type=load["compute_type"], cpu_threads=load["cpu_threads"])
model.model = TimedModel(model.model)
t_loaded = time.perf_counter()
batch_size = options.pop("batch_size", None)
t0 = time.perf_counter()
if batch_size:
    segments, info = BatchedInferencePipeline(model).transcribe(audio_path, batch_size=batch_size, **options)
else:
    segments, info = model.transcribe(audio_path, **options)
first = None
texts = []
for s in segments:
    if first is None:
        first = time.perf_counter() - t0
    texts.append(s.text)
total = time.perf_counter() - t0
print(json.dumps({
    "engine": "faster-whisper",
    "stages": stages,
    "total": total,
    "first_segment": first,
    "load": t_loaded - t_start,
    "segments": len(texts),
    "text": "".join(texts),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
