#!/usr/bin/env bash
# Session 13 (issue 27): the local model, before (main 5e2f3ee, a detached worktree at
# /tmp/s13/before-tree) and after (this tree) on the sets where the news-rule change can act, and after
# on every other set. Indexes: session 10's RealTime QA 3-week pools (/tmp/s10/data-rtqa: every 12th
# week's questions and their search results, pooled) and session 12's seed, MultiHop-RAG and RGB indexes
# (/tmp/s12/data). PYTHONPATH picks the tree; the venv is the same. RGB: --sample 50 (RGB_SAMPLE).
set -u
NB=/work/main/.venv/bin/newsbot
OUT=${OUT:-/tmp/s13/runs}
AFTER=${AFTER:-/tmp/s13/after-tree}  # a detached worktree of the change (18a392c), so edits here do not leak into a run
BEFORE=${BEFORE:-/tmp/s13/before-tree}
mkdir -p "$OUT"
run() {  # run TAG TREE SET
  local tag=$1 tree=$2 set=$3
  case $set in
    seed) (cd $tree && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run evals/seed.jsonl --answerer local --out $OUT/$tag-seed);;
    rtqa2025|rtqa2022) (cd /tmp && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $NB eval run /tmp/s10/$set --format realtimeqa --answerer local --out $OUT/$tag-$set);;
    mh) (cd /tmp && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run /work/shared/evaldata/multihop-rag-500 --sample 60 --answerer local --out $OUT/$tag-mh);;
    rgb) (cd /tmp && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run /work/shared/evaldata/rgb --sample ${RGB_SAMPLE:-50} --answerer local --out $OUT/$tag-rgb);;
  esac > $OUT/$tag-$set.log 2>&1
}
# Before and after on RealTime QA 2022 (where session 12's run had 9 news-rule overrides); after only
# elsewhere (RealTime QA 2025: 2 overrides then; the seed set and MultiHop-RAG: none; RGB: not run then).
for set in ${SETS:-rtqa2022}; do run after $AFTER $set; run before $BEFORE $set; done
for set in ${AFTER_ONLY:-rtqa2025 seed mh rgb}; do run after $AFTER $set; done
echo done > $OUT/done
