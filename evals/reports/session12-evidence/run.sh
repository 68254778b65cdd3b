#!/usr/bin/env bash
# Session 12 (issue 27, the evidence stage): before (main c54e455, a worktree at /tmp/s12/before-tree)
# and after (this tree), the extractive answerer on every set in one script, PYTHONPATH pointing at
# each tree: the seed and temporal sets, MultiHop-RAG --sample 60, RGB --sample 100, and the RealTime
# QA 3-week pools of session 10 (/tmp/s10/rtqa2025, /tmp/s10/rtqa2022: every 12th week's questions
# and articles). The local model's runs are in local.sh.
set -u
NB=/work/main/.venv/bin/newsbot
OUT=${OUT:-/tmp/s12/final}
mkdir -p "$OUT"
for tree in before after; do
  if [ $tree = before ]; then PP=/tmp/s12/before-tree; else PP=/work/main; fi
  for set in seed temporal; do
    (cd $PP && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$OUT/data-$tree $NB eval run evals/$set.jsonl --answerer extractive --out $OUT/$tree-$set > $OUT/$tree-$set.log 2>&1)
  done
  for y in 2025 2022; do
    (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $NB eval run /tmp/s10/rtqa$y --format realtimeqa --answerer extractive --out $OUT/$tree-rtqa$y > $OUT/$tree-rtqa$y.log 2>&1)
  done
  (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$OUT/data-$tree $NB eval run /work/shared/evaldata/multihop-rag-500 --sample 60 --answerer extractive --out $OUT/$tree-mh > $OUT/$tree-mh.log 2>&1)
  (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$OUT/data-$tree $NB eval run /work/shared/evaldata/rgb --sample 100 --answerer extractive --out $OUT/$tree-rgb > $OUT/$tree-rgb.log 2>&1)
done
