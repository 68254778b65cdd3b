#!/usr/bin/env bash
# Local answerer over the given sets with the tree at $2 (label $1); one data dir; runs under $RUNS.
LABEL=$1; PP=$2; shift 2
RUNS=${RUNS:-/tmp/s22/runs}; mkdir -p $RUNS
NB=/work/main/.venv/bin/newsbot; E=/work/shared/evaldata; D=/tmp/s22/data
for set in "$@"; do
  O=$RUNS/$LABEL-$set
  date +"%T $LABEL $set" >> $RUNS/progress
  case $set in
   seed) (cd $PP && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run evals/seed.jsonl --answerer local --out $O);;
   mh) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run $E/multihop-rag-500 --sample 60 --answerer local --out $O);;
   rgb) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run $E/rgb --sample 100 --answerer local --out $O);;
   rtqa2025|rtqa2022) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run /tmp/s22/$set --format realtimeqa --answerer local --out $O);;
  esac > $O.log 2>&1
done
date +"%T $LABEL done" >> $RUNS/progress
