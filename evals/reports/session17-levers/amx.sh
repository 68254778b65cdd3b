#!/usr/bin/env bash
OUT=/tmp/s17/runs
for set in "$@"; do
  date +"%T start amx $set" >> $OUT/progress
  case $set in
    rtqa2025|rtqa2022) (cd /tmp && NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa /work/main/.venv/bin/newsbot eval run /tmp/s10/$set --format realtimeqa --answerer local --out $OUT/amx-$set);;
    seed) (cd /work/main && NEWSBOT_DATA_DIR=/tmp/s12/data /work/main/.venv/bin/newsbot eval run evals/seed.jsonl --answerer local --out $OUT/amx-seed);;
    rgb) (cd /tmp && NEWSBOT_DATA_DIR=/tmp/s12/data /work/main/.venv/bin/newsbot eval run /work/shared/evaldata/rgb --sample 100 --answerer local --out $OUT/amx-rgb);;
    mh) (cd /tmp && NEWSBOT_DATA_DIR=/tmp/s12/data /work/main/.venv/bin/newsbot eval run /work/shared/evaldata/multihop-rag-500 --sample 60 --answerer local --out $OUT/amx-mh);;
  esac > $OUT/amx-$set.log 2>&1
done
date +"%T done amx" >> $OUT/progress
