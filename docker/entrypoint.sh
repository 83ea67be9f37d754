#!/bin/sh
# Keeps the Hugging Face cache on the network volume when RunPod mounts one, so models are
# downloaded once per volume rather than once per worker. APP_DIR: where docker/install-app.sh
# installed the app (/app in the image).
set -e
app="${APP_DIR:-/app}"
if [ -d /runpod-volume ] && [ -z "$HF_HUB_CACHE" ]; then
  export HF_HOME=/runpod-volume/huggingface
  mkdir -p "$HF_HOME"
  # Models baked into the image stay usable offline from the image's own cache.
  if [ -d "$app/hf/hub" ] && [ ! -e "$HF_HOME/hub" ]; then cp -rs "$app/hf/hub" "$HF_HOME/hub" 2>/dev/null || true; fi
fi
mkdir -p "${JOBS_DIR:-/tmp/jobs}"
cd "$app"
exec node "$app/node_modules/ct2-whisper/lib/cli.js" worker "$@"
