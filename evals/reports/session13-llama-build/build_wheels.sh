#!/usr/bin/env bash
# Build the llama-cpp-python 0.3.36 wheels compared in README.md, each into $WORK/wheels/<name>/.
#   native-noamx      (b) GGML_NATIVE=ON, AMX compiled out with -mno-amx-* (GGML_NATIVE ignores GGML_AMX_*)
#   native-amx-fixed  (c) GGML_NATIVE=ON, AMX on, amx_tilecfg.patch applied to the vendored llama.cpp
#   native-amx-stock  (c0) GGML_NATIVE=ON, AMX on, as released: segfaults at the first prompt
# (a), today's build, is the wheel scripts/build_llama.sh caches as avx2-avx512_ON-vnni_ON.
# About 5 minutes each on 2 quiet cores; run them one after another.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${WORK:-/tmp/s13/llama}"
PY="${PY:-python3}"
COMMON="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAVA_BUILD=OFF -DLLAMA_CURL=OFF"
export CMAKE_BUILD_PARALLEL_LEVEL=2
mkdir -p "$WORK/src" && cd "$WORK/src"
[[ -f llama_cpp_python-0.3.36.tar.gz ]] || "$PY" -m pip download --no-deps --no-binary :all: -d . llama-cpp-python==0.3.36
rm -rf stock patched && mkdir stock patched
tar -xzf llama_cpp_python-0.3.36.tar.gz -C stock && tar -xzf llama_cpp_python-0.3.36.tar.gz -C patched
(cd patched/llama_cpp_python-0.3.36 && patch -p1 < "$HERE/amx_tilecfg.patch")
wheel() { "$PY" -m pip wheel --no-deps --no-cache-dir -w "$WORK/wheels/$1" "$2"; }
CMAKE_ARGS="-DGGML_NATIVE=ON -DCMAKE_C_FLAGS='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16' -DCMAKE_CXX_FLAGS='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16' $COMMON" \
  wheel native-noamx stock/llama_cpp_python-0.3.36
CMAKE_ARGS="-DGGML_NATIVE=ON $COMMON" wheel native-amx-fixed patched/llama_cpp_python-0.3.36
CMAKE_ARGS="-DGGML_NATIVE=ON $COMMON" wheel native-amx-stock stock/llama_cpp_python-0.3.36
