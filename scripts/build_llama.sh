#!/usr/bin/env bash
# Build llama-cpp-python once with flags that work on these CPUs, cache the wheel, install from the cache.
#
# The default native build segfaults (AMX int8 matmul) on this machine class; see
# ../shared/guides/OFFLINE-STACK.md. A later run finds the cached wheel and skips the ~3 minute build.
#
# Usage: scripts/build_llama.sh [PYTHON]   (default: .venv/bin/python, else python3)
# Env:   NEWSBOT_WHEEL_CACHE (default ~/.cache/newsbot/wheels)
set -euo pipefail

VERSION="0.3.36"
PY="${1:-}"
if [[ -z "$PY" ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
CACHE="${NEWSBOT_WHEEL_CACHE:-$HOME/.cache/newsbot/wheels}"
mkdir -p "$CACHE"

wheel=$(ls "$CACHE"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [[ -z "$wheel" ]]; then
  echo "building llama-cpp-python==$VERSION (about 3 minutes on 2 cores) into $CACHE" >&2
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_BMI2=ON -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AMX_INT8=OFF -DLLAMA_BUILD_TESTS=OFF \
-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAVA_BUILD=OFF \
-DLLAMA_CURL=OFF"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
  # --no-cache-dir: a wheel pip cached from a default (crashing) build must not be reused.
  "$PY" -m pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python \
    -w "$CACHE" "llama-cpp-python==$VERSION"
  wheel=$(ls "$CACHE"/llama_cpp_python-"$VERSION"-*.whl | head -n1)
else
  echo "using cached wheel $wheel" >&2
fi
"$PY" -m pip install "$wheel"
