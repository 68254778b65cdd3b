#!/usr/bin/env bash
# Session 15: run TAG on TREE for the sets in SETS
set -u
NB=/work/main/.venv/bin/newsbot
OUT=${OUT:-/tmp/s15/runs}
TAG=$1; TREE=$2
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
  date +"%T start $TAG $set" >> $OUT/progress
  run $TAG $TREE $set
done
date +"%T done $TAG" >> $OUT/progress
