#!/usr/bin/env bash
# Session 11 (issue 30, the redesign): before (8c650da, a worktree at /tmp/s11/before) and after (a
# worktree of the redesign at /tmp/s11/after), every set in one script, PYTHONPATH pointing at each tree.
# Extractive on MultiHop-RAG --sample 100, RGB --sample 100, the seed set, the temporal set and the
# RealTime QA 3-week pools of session 10 (/tmp/s10/rtqa2025, /tmp/s10/rtqa2022: every 12th week's
# questions and articles); then the local model's whole gate (seed and temporal sets) on each tree.
set -u
cd /tmp
NB=/work/main/.venv/bin/newsbot
for tree in before after; do
  PP=/tmp/s11/$tree
  for set in multihop-rag-500 rgb; do
    PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s11/data-$tree $NB eval run /work/shared/evaldata/$set --sample 100 --answerer extractive --out /tmp/s11/$tree-$set > /tmp/s11/$tree-$set.log 2>&1
  done
  for set in seed temporal; do
    (cd $PP && PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s11/data-$tree $NB eval run evals/$set.jsonl --answerer extractive --out /tmp/s11/$tree-$set > /tmp/s11/$tree-$set.log 2>&1)
  done
  for y in 2025 2022; do
    PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $NB eval run /tmp/s10/rtqa$y --format realtimeqa --answerer extractive --out /tmp/s11/$tree-rtqa$y > /tmp/s11/$tree-rtqa$y.log 2>&1
  done
done
echo done > /tmp/s11/sets.done
for tree in before after; do
  PP=/tmp/s11/$tree
  (cd $PP && PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s11/data-$tree $NB eval gate --out /tmp/s11/$tree-gate > /tmp/s11/$tree-gate.log 2>&1)
done
echo done > /tmp/s11/gate.done
