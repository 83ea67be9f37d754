#!/bin/sh
# Installs the packed tarballs (dist/*.tgz from `npm run package`) into APP_DIR as a production
# app, then loads the native addon once to prove the install. No compiler is used.
# Usage: sh docker/install-app.sh APP_DIR DIST_DIR
set -eu
app="$1"
dist="$2"
mkdir -p "$app"
cd "$app"
[ -f package.json ] || printf '{ "name": "ct2-whisper-worker", "private": true, "type": "module" }\n' > package.json
# Nothing downloads anything at install time: ONNX Runtime (VAD, diarization) comes in the
# platform package, beside the addon.
npm install --omit=dev --no-audit --no-fund --loglevel=error "$dist"/*.tgz
node --input-type=module -e "
import { cudaDeviceCount, languageCodes } from 'ct2-whisper';
console.log('ct2-whisper installed: ' + languageCodes().length + ' languages, ' + cudaDeviceCount() + ' CUDA device(s) visible at build time');
"
