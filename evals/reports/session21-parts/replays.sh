#!/usr/bin/env bash
# Session 21: the sets replayed through the compound-question tree (replay.py: evals/reports/session20-verdict/).
# Replay each set's recorded model output through TREE; compare with the recorded (or replayed) answers.
TREE=$1; OUT=/tmp/s21/replay; mkdir -p $OUT
E2=/work/shared/evaldata; D=/tmp/s18/sets-data-after; PY=/work/main/.venv/bin/python; R=/work/main/evals/reports/session20-verdict/replay.py
run() { name=$1; rec=$2; shift 2; (cd ${CWD:-/tmp} && PYTHONPATH=$TREE NEWSBOT_DATA_DIR=$D NEWSBOT_EMBEDDER=minilm-int8 $PY $R $rec eval run "$@" --answerer local --out $OUT/$name) > $OUT/$name.log 2>&1; date +"%T $name done"; }
CWD=$TREE run seed /tmp/s20/runs/after-seed evals/seed.jsonl
run mh /tmp/s20/runs/after-mh $E2/multihop-rag-500 --sample 60
run rgb /tmp/s19/runs/before-rgb $E2/rgb --sample 100
run rtqa2025 /tmp/s18/runs/avx2-rtqa2025 /tmp/s10/rtqa2025 --format realtimeqa
run rtqa2022 /tmp/s20/runs/after-rtqa2022 /tmp/s10/rtqa2022 --format realtimeqa
