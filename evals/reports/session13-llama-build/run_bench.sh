#!/usr/bin/env bash
# One venv per build under $WORK (numpy, typing-extensions, diskcache, jinja2, then the wheel --no-deps),
# then paired.py: every build in turn, the order rotating each round, each run its own process.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${WORK:-/tmp/s13/llama}"
MODEL="${MODEL:-/tmp/s10/data-rtqa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf}"
declare -A WHEEL=(
  [a]="$(ls ~/.cache/newsbot/wheels/avx2-avx512_ON-vnni_ON/llama_cpp_python-0.3.36-*.whl)"
  [b]="$(ls "$WORK"/wheels/native-noamx/*.whl)"
  [c]="$(ls "$WORK"/wheels/native-amx-fixed/*.whl)"
  [c0]="$(ls "$WORK"/wheels/native-amx-stock/*.whl)"
)
args=()
for name in a b c c0; do
  venv="$WORK/venv-$name"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" -q install numpy typing-extensions diskcache jinja2
    "$venv/bin/pip" -q install --no-deps "${WHEEL[$name]}"
  fi
  args+=("$name=$venv/bin/python")
done
python3 "$HERE/paired.py" --rounds 6 --model "$MODEL" --out "$HERE/results.jsonl" "${args[@]}"
