#!/usr/bin/env bash
# Ingest of 200 RealTime QA 2022 articles, ours against the naive pipeline, before and after the
# side-by-side embedding sessions, in one script (AMD EPYC family 25, 2 cores).
cd /tmp
for tree in before after; do
  PP=/tmp/s18/before; [ $tree = after ] && PP=/work/main
  rm -rf /tmp/s18/bench-$tree-work
  date +"%T start $tree" >> /tmp/s18/ingest.progress
  PYTHONPATH=$PP NEWSBOT_EMBEDDER=minilm-int8 /work/main/.venv/bin/newsbot bench /tmp/s10/rtqa2022 --articles 200 --questions 12 \
    --skip embed,sizes,server,recall,cold --ingest-embedders minilm-int8 --out /tmp/s18/bench-$tree --workdir /tmp/s18/bench-$tree-work > /tmp/s18/bench-$tree.log 2>&1
done
date +"%T done" >> /tmp/s18/ingest.progress
