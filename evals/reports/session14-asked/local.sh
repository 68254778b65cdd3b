#!/usr/bin/env bash
# Session 14 (issue 27): the local model before (main cf8936e) and after, every set run by both trees back to back, after first. The after tree moved on during the run (see README.md: seed 6ff6d5c, RealTime QA 2025, MultiHop-RAG and RGB 900cf98, RealTime QA 2022 4730e95; MultiHop-RAG and RGB re-run with 936aceb).
set -u
NB=/work/main/.venv/bin/newsbot
OUT=${OUT:-/tmp/s14/runs}
AFTER=${AFTER:-/tmp/s14/after-tree}
BEFORE=${BEFORE:-/tmp/s14/before-tree}
mkdir -p "$OUT"
run() {  # run TAG TREE SET [extra args]
  local tag=$1 tree=$2 set=$3; shift 3
  case $set in
    seed) (cd $tree && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run evals/seed.jsonl --answerer local --out $OUT/$tag-seed "$@");;
    rtqa2025|rtqa2022) (cd /tmp && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $NB eval run /tmp/s10/$set --format realtimeqa --answerer local --out $OUT/$tag-$set "$@");;
    mh) (cd /tmp && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run /work/shared/evaldata/multihop-rag-500 --sample 60 --answerer local --out $OUT/$tag-mh "$@");;
    rgb) (cd /tmp && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run /work/shared/evaldata/rgb --sample ${RGB_SAMPLE:-100} --answerer local --out $OUT/$tag-rgb "$@");;
  esac > $OUT/$tag-$set.log 2>&1
}
for set in ${SETS:-seed rtqa2025 mh rgb rtqa2022}; do
  date +"%T start $set" >> $OUT/progress
  run after $AFTER $set
  run before $BEFORE $set
done
date +"%T naive+closed" >> $OUT/progress
run after-all $AFTER rtqa2025 --pipeline all
echo done > $OUT/done
# Then, with the after tree at 936aceb and the RealTime QA 2022 before-run still going beside them:
#   run final $AFTER mh; run final $AFTER rgb
