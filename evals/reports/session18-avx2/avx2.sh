#!/usr/bin/env bash
# Issue 28's figures on an AVX2 machine (AMD EPYC family 25 model 1, 2 cores, KVM), safe llama.cpp
# build (0.3.36, AVX2/FMA/F16C, CPU_REPACK q4_K_8x8), minilm-int8 embeddings, main's tree.
OUT=/tmp/s18/runs; mkdir -p $OUT
NB=/work/main/.venv/bin/newsbot
step() { date +"%T start $1" >> $OUT/progress; }
step rtqa2025
(cd /tmp && NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $NB eval run /tmp/s10/rtqa2025 --format realtimeqa --answerer local --out $OUT/avx2-rtqa2025) > $OUT/avx2-rtqa2025.log 2>&1
step cold
(cd /tmp && NEWSBOT_ANSWERER=local NEWSBOT_EMBEDDER=minilm-int8 $NB bench /tmp/s10/rtqa2022 --articles 200 --skip embed,ingest,sizes,server,recall --cold-runs 3 --out $OUT/avx2-cold --workdir /tmp/s18/cold-work) > $OUT/avx2-cold.log 2>&1
step burst
(cd /work/main && .venv/bin/python evals/bench_slack.py --events 10 --answerer local --out $OUT/avx2-burst.json) > $OUT/avx2-burst.log 2>&1
date +"%T done" >> $OUT/progress
