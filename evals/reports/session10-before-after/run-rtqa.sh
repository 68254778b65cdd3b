#!/usr/bin/env bash
set -u
cd /tmp
for y in 2025 2022; do
  for tree in before after; do
    if [ $tree = before ]; then PP=/tmp/s10/before; else PP=/work/main; fi
    PYTHONPATH=$PP NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa /work/main/.venv/bin/newsbot eval run /tmp/s10/rtqa$y --format realtimeqa --answerer extractive --out /tmp/s10/$tree-rtqa$y > /tmp/s10/$tree-rtqa$y.log 2>&1
  done
done
echo done > /tmp/s10/rtqa.done
