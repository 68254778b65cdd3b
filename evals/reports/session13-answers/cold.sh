#!/usr/bin/env bash
# Session 13 (issue 28.4): the cold start before and after, in one script, alternating, on the same
# machine: before = main 5e2f3ee (/tmp/s13/before-tree) with the safe llama.cpp build (/work/main/.venv);
# after = this session's main with the amx-fix2 build (the fresh-clone CI checkout's .venv) and the
# saved prompt-prefix state. `newsbot bench`'s cold phase: fresh `newsbot ask --json` processes, the
# local model, 64 RealTime QA 2022 articles indexed once.
set -u
OUT=${OUT:-/tmp/s13/cold}
mkdir -p "$OUT"
for round in 1 2; do
  for side in before after; do
    if [ $side = before ]; then PY=/work/main/.venv/bin/python; PP=/tmp/s13/before-tree; else PY=/work/ci-run13/.venv/bin/python; PP=/work/main; fi
    (cd $PP && PYTHONPATH=$PP NEWSBOT_ANSWERER=local $PY -m bot.cli bench /work/shared/evaldata/realtimeqa-2022 \
      --articles 64 --cold-runs 2 --skip embed,ingest,sizes,server,recall --out $OUT/$side-$round > $OUT/$side-$round.log 2>&1)
  done
done
