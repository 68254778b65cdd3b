#!/usr/bin/env bash
# Session 10: before (0674b8a, a worktree at /tmp/s10/before) and after (HEAD) on MultiHop-RAG, RGB and the seed set, extractive answerer, one script.
set -u
cd /tmp
for tree in before after; do
  if [ $tree = before ]; then PP=/tmp/s10/before; else PP=/work/main; fi
  for set in multihop-rag-500 rgb; do
    PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s10/data-$tree /work/main/.venv/bin/newsbot eval run /work/shared/evaldata/$set --sample 100 --answerer extractive --out /tmp/s10/$tree-$set > /tmp/s10/$tree-$set.log 2>&1
  done
  (cd $PP && PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s10/data-$tree /work/main/.venv/bin/newsbot eval run evals/seed.jsonl --answerer extractive --out /tmp/s10/$tree-seed > /tmp/s10/$tree-seed.log 2>&1)
done
echo done > /tmp/s10/sets.done
