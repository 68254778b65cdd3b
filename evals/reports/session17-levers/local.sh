#!/usr/bin/env bash
# local.sh TAG P F SETS...  (real local model; the variant via variant.py)
TAG=$1; export P=$2 F=$3; shift 3
OUT=/tmp/s17/runs; mkdir -p $OUT
PY="/work/main/.venv/bin/python /tmp/s17/variant.py"
for set in "$@"; do
  date +"%T start $TAG $set" >> $OUT/progress
  case $set in
    seed) (cd /work/main && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s12/data $PY eval run evals/seed.jsonl --answerer local --out $OUT/$TAG-seed);;
    rtqa2025|rtqa2022) (cd /tmp && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $PY eval run /tmp/s10/$set --format realtimeqa --answerer local --out $OUT/$TAG-$set);;
    mh) (cd /tmp && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s12/data $PY eval run /work/shared/evaldata/multihop-rag-500 --sample 60 --answerer local --out $OUT/$TAG-mh);;
    rgb) (cd /tmp && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s12/data $PY eval run /work/shared/evaldata/rgb --sample 100 --answerer local --out $OUT/$TAG-rgb);;
  esac > $OUT/$TAG-$set.log 2>&1
done
date +"%T done $TAG" >> $OUT/progress
