# ct2-whisper RunPod serverless worker: CUDA 12 + cuDNN 9, the addon built with the `cuda` feature.
#   docker build -t ct2-whisper-worker .
#   docker build --build-arg PRELOAD_MODEL=small -t ct2-whisper-worker:small .
ARG CUDA_VERSION=12.4.1
ARG UBUNTU=ubuntu22.04

# ---- build: Rust + CUDA toolkit, the native addon and the TypeScript ----
FROM nvidia/cuda:${CUDA_VERSION}-cudnn-devel-${UBUNTU} AS build
ARG NODE_MAJOR=20
ARG CUDA_ARCH_LIST="7.5;8.0;8.6;8.9;9.0"
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates curl build-essential cmake pkg-config zlib1g-dev git python3 python3-pip \
  && curl -fsSL https://deb.nodesource.com/setup_${NODE_MAJOR}.x | bash - \
  && apt-get install -y --no-install-recommends nodejs \
  && curl -fsSL https://sh.rustup.rs | sh -s -- -y --profile minimal \
  && rm -rf /var/lib/apt/lists/*
ENV PATH=/root/.cargo/bin:$PATH \
    CUDA_TOOLKIT_ROOT_DIR=/usr/local/cuda \
    CUDA_ARCH_LIST=${CUDA_ARCH_LIST}
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
COPY native ./native
COPY scripts ./scripts
RUN node scripts/build-native.mjs --cuda \
  && cp native/ct2-whisper.linux-x64-gnu-cuda.node native/ct2-whisper.linux-x64-gnu.node
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev
# Silero VAD v6 as faster-whisper's PyPI package ships it.
RUN python3 -m pip download --no-deps -d /tmp/fw faster-whisper==1.2.1 \
  && python3 -c "import zipfile,glob; z=zipfile.ZipFile(glob.glob('/tmp/fw/*.whl')[0]); open('/app/silero_vad_v6.onnx','wb').write(z.read('faster_whisper/assets/silero_vad_v6.onnx'))"

# ---- runtime: CUDA + cuDNN runtime libraries, Node, ffmpeg ----
FROM nvidia/cuda:${CUDA_VERSION}-cudnn-runtime-${UBUNTU}
ARG NODE_MAJOR=20
ARG PRELOAD_MODEL=""
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl ffmpeg \
  && curl -fsSL https://deb.nodesource.com/setup_${NODE_MAJOR}.x | bash - \
  && apt-get install -y --no-install-recommends nodejs \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY --from=build /app/native/ct2-whisper.linux-x64-gnu.node ./native/
COPY --from=build /app/silero_vad_v6.onnx /app/models/silero_vad_v6.onnx
COPY test_input.json docker/entrypoint.sh ./
ENV CT2_WHISPER_VAD_MODEL=/app/models/silero_vad_v6.onnx \
    JOBS_DIR=/tmp/jobs \
    WHISPERX_DEVICE=auto \
    HF_HOME=/app/hf
# An optional model baked into the image (PRELOAD_MODEL=small, large-v3, ...).
RUN if [ -n "$PRELOAD_MODEL" ]; then \
      node -e "import('/app/lib/index.js').then(m => m.resolveModel(process.argv[1])).then(r => console.log('preloaded', r.dir))" "$PRELOAD_MODEL"; \
    fi
ENV WHISPER_MODEL_NAME=${PRELOAD_MODEL:-small}
RUN chmod +x /app/entrypoint.sh
ENTRYPOINT ["/app/entrypoint.sh"]
