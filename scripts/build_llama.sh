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
# The wheel is built for the instruction sets of the CPU it is built on (a build with AVX-512 dies with
# "Illegal instruction" on a CPU without it): the flags come from /proc/cpuinfo, and the cache keeps
# one wheel per flag set. AMX stays off everywhere (its int8 matmul segfaults on these machines).
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]] && echo ON || echo OFF; }
AVX512=$(has avx512f)
VNNI=OFF
if [[ "$AVX512" == ON ]]; then VNNI=$(has avx512_vnni); fi
TAG="avx2-avx512_${AVX512}-vnni_${VNNI}"
if [[ "$(has avx2)" != ON ]]; then
  TAG="native"  # not an AVX2 machine: let llama.cpp pick what this CPU has
fi
CACHE="${NEWSBOT_WHEEL_CACHE:-$HOME/.cache/newsbot/wheels}/$TAG"
mkdir -p "$CACHE"

wheel=$(ls "$CACHE"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [[ -z "$wheel" ]]; then
  echo "building llama-cpp-python==$VERSION for this CPU ($TAG; about 3 minutes on 2 cores) into $CACHE" >&2
  if [[ "$TAG" == native ]]; then
    ISA="-DGGML_NATIVE=ON -DGGML_AMX_INT8=OFF"
  else
    ISA="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
-DGGML_AVX512=$AVX512 -DGGML_AVX512_VNNI=$VNNI -DGGML_AMX_INT8=OFF"
  fi
  export CMAKE_ARGS="$ISA -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
-DLLAMA_BUILD_SERVER=OFF -DLLAVA_BUILD=OFF -DLLAMA_CURL=OFF"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
  # --no-cache-dir: a wheel pip cached from a default (crashing) build must not be reused.
  "$PY" -m pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python \
    -w "$CACHE" "llama-cpp-python==$VERSION"
  wheel=$(ls "$CACHE"/llama_cpp_python-"$VERSION"-*.whl | head -n1)
else
  echo "using cached wheel $wheel" >&2
fi
# --force-reinstall: the same version built for another CPU may be installed already.
"$PY" -m pip install --no-deps --force-reinstall "$wheel"
