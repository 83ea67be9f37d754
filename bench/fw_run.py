"""One faster-whisper run for the side-by-side bench: loads a model, transcribes raw 16 kHz 16-bit
samples, prints JSON (segments, timings, peak memory) on stdout.
Usage: fw_run.py MODEL_DIR SAMPLES.s16 OPTIONS_JSON"""
import json
import resource
import sys
import time

import numpy as np

t0 = time.perf_counter()
from faster_whisper import WhisperModel  # noqa: E402

model_dir, samples_path, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
audio = np.fromfile(samples_path, dtype="<i2").astype(np.float32) / 32768.0
load = options.pop("load")
model = WhisperModel(model_dir, device=load["device"], compute_type=load["compute_type"], cpu_threads=load["cpu_threads"])
t1 = time.perf_counter()
batch_size = options.pop("batch_size", None)
t_call = time.perf_counter()
if batch_size:
    from faster_whisper import BatchedInferencePipeline
    segments, info = BatchedInferencePipeline(model).transcribe(audio, batch_size=batch_size, **options)
else:
    segments, info = model.transcribe(audio, **options)
first_segment = None
collected = []
for s in segments:
    if first_segment is None:
        first_segment = time.perf_counter() - t_call  # the generator's first item
    collected.append({"start": s.start, "end": s.end, "text": s.text,
                      "words": [{"start": w.start, "end": w.end, "word": w.word} for w in s.words] if s.words else None})
segments = collected
t2 = time.perf_counter()
print(json.dumps({
    "engine": "faster-whisper",
    "language": info.language,
    "segments": segments,
    "load_s": t1 - t0,
    "transcribe_s": t2 - t1,
    "first_segment_s": first_segment,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
