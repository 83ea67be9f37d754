#!/usr/bin/env bash
# From a fresh clone: system packages, npm packages, the native addon, the TypeScript build,
# the test models; then transcribes the bundled sample with the default model.
# Usage: bash scripts/setup.sh [--no-demo]
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
# cmake only to compile CTranslate2 from source (CT2_WHISPER_FROM_SOURCE=1); the default links
# CTranslate2's released library, fetched by pip.
if [ "${CT2_WHISPER_FROM_SOURCE:-}" = "1" ]; then command -v cmake >/dev/null || missing+=(cmake); fi
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v pkg-config >/dev/null || missing+=(pkg-config)
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
# Debian's Chromium: the browser the page test of `serve` drives with playwright-core.
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: Rust's cargo is required (https://rustup.rs)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "setup: python3 with pip is required to fetch CTranslate2's and ONNX Runtime's libraries and the models" >&2; exit 1; }

step "npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

step "native addon (CTranslate2's and ONNX Runtime's released libraries from their PyPI wheels; the first build takes about 2 minutes)"
node scripts/build-native.mjs

step "TypeScript"
npx tsc -p tsconfig.json
chmod +x lib/cli.js

step "models"
node scripts/fetch-models.mjs || true

if [ "${1:-}" != "--no-demo" ]; then
  step "transcribing samples/sample.flac with the default model"
  node lib/cli.js transcribe samples/sample.flac --format srt
fi
