#!/usr/bin/env bash
# Local answerer over the given sets with tree $1 (label) at path $2; data dir $DATA (shared); runs under $RUNS;
# the RealTime QA pools under $POOLS.
LABEL=$1; PP=$2; shift 2
RUNS=${RUNS:-/tmp/s19/runs}; mkdir -p $RUNS
NB=/work/main/.venv/bin/newsbot; E=/work/shared/evaldata; D=${DATA:-/tmp/s18/sets-data-after}; P=${POOLS:-/tmp/s10}
for set in "$@"; do
  O=$RUNS/$LABEL-$set
  date +"%T $LABEL $set" >> $RUNS/progress
  case $set in
   seed) (cd $PP && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run evals/seed.jsonl --answerer local --out $O);;
   mh) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run $E/multihop-rag-500 --sample 60 --answerer local --out $O);;
   rgb) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run $E/rgb --sample 100 --answerer local --out $O);;
   rtqa2025|rtqa2022) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run $P/$set --format realtimeqa --answerer local --out $O);;
  esac > $O.log 2>&1
done
date +"%T $LABEL done" >> $RUNS/progress
