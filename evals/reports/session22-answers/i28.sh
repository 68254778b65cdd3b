#!/usr/bin/env bash
# Issue 28's figures on this CPU, the final tree, nothing else running.
until grep -q "rev done" /tmp/s22/runs/progress 2>/dev/null; do sleep 10; done
cd /tmp/s22/final
NB=/work/main/.venv/bin/newsbot; O=/tmp/s22/i28
lscpu > $O/cpu.txt; grep -m1 flags /proc/cpuinfo >> $O/cpu.txt
RUNS=/tmp/s22/runs DATA=/tmp/s22/data POOLS=/tmp/s22 bash /work/main/evals/reports/session19-prompt/local.sh final /tmp/s22/final rtqa2025
date +"%T cold" >> /tmp/s22/runs/progress
PYTHONPATH=/tmp/s22/final NEWSBOT_ANSWERER=local NEWSBOT_EMBEDDER=minilm-int8 NEWSBOT_DATA_DIR=/tmp/s22/data $NB bench /tmp/s22/rtqa2022 --articles 200 --skip embed,ingest,sizes,server,recall --cold-runs 3 --out $O/cold --workdir /tmp/s22/benchwork > $O/cold.log 2>&1
date +"%T ingest" >> /tmp/s22/runs/progress
PYTHONPATH=/tmp/s22/final NEWSBOT_EMBEDDER=minilm-int8 NEWSBOT_DATA_DIR=/tmp/s22/data $NB bench /tmp/s22/rtqa2022 --articles 200 --questions 12 --skip embed,sizes,server,recall,cold --out $O/ingest --workdir /tmp/s22/benchwork > $O/ingest.log 2>&1
date +"%T burst" >> /tmp/s22/runs/progress
PYTHONPATH=/tmp/s22/final NEWSBOT_DATA_DIR=/tmp/s22/data /work/main/.venv/bin/python evals/bench_slack.py --events 10 --answerer local --out $O/bench_slack_local_10.json > $O/burst.log 2>&1
date +"%T i28 done" >> /tmp/s22/runs/progress
