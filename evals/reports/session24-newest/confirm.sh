#!/usr/bin/env bash
# The final tree with the real model: the six RealTime QA 2025 questions whose answers the change moved, and the temporal set.
PY=/work/main/.venv/bin/python; export NEWSBOT_EMBEDDER=minilm-int8
cd /tmp
PYTHONPATH=/tmp/s24/fin NEWSBOT_DATA_DIR=/tmp/s23/data $PY -m bot.cli eval run /tmp/s24/sub6/realtimeqa-2025 --format realtimeqa --answerer local --out /tmp/s24/runs/fin-sub6 > /tmp/s24/runs/fin-sub6.log 2>&1
(cd /tmp/s24/fin && PYTHONPATH=/tmp/s24/fin NEWSBOT_DATA_DIR=/tmp/s24/tdata $PY -m bot.cli eval run evals/temporal.jsonl --answerer local --out /tmp/s24/runs/fin-temporal > /tmp/s24/runs/fin-temporal.log 2>&1)
echo done > /tmp/s24/runs/fin.done
