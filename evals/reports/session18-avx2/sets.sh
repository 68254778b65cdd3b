#!/usr/bin/env bash
# Extractive answerer, every set, before (f151e2c) and after (main), fresh data dirs per tree.
NB=/work/main/.venv/bin/newsbot; E=/work/shared/evaldata
for set in seed mh rgb rtqa2025 rtqa2022; do
 for tree in before after; do
  PP=/tmp/s18/before; [ $tree = after ] && PP=/work/main
  D=/tmp/s18/sets-data-$tree; O=/tmp/s18/sets/$tree-$set
  date +"%T $tree $set" >> /tmp/s18/sets.progress
  case $set in
   seed) (cd $PP && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run evals/seed.jsonl --answerer extractive --out $O);;
   mh) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run $E/multihop-rag-500 --sample 60 --answerer extractive --out $O);;
   rgb) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run $E/rgb --sample 100 --answerer extractive --out $O);;
   rtqa2025|rtqa2022) (cd /tmp && PYTHONPATH=$PP NEWSBOT_DATA_DIR=$D $NB eval run /tmp/s10/$set --format realtimeqa --answerer extractive --out $O);;
  esac > /tmp/s18/sets/$tree-$set.log 2>&1
 done
done
date +"%T done" >> /tmp/s18/sets.progress
