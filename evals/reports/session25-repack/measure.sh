#!/usr/bin/env bash
# Issue 28's fluent answer and issue 27's sets with the local model, its weights repacked (on: llama.cpp's
# default, the code before 6174c53) and as stored (off), the same tree (6174c53, unpacked at $T), one after
# the other on a quiet machine. RealTime QA 2025 `--sample 60` over the whole pool first (the timed run),
# then the cold start (3 fresh `newsbot ask` processes) and a burst of ten Slack questions both ways, then
# each quality set both ways. Data dir $D holds every set's index (built by the first run of a set).
T=${T:-/tmp/s25/tree}; D=${D:-/tmp/s25/data}; R=${R:-/tmp/s25/runs}; E=/work/shared/evaldata
NB=/work/main/.venv/bin/newsbot
export NEWSBOT_EMBEDDER=minilm-int8 NEWSBOT_DATA_DIR=$D PYTHONPATH=$T
run() {  # run SET REPACK
  local set=$1 way=$2 out=$R/$2-$1
  date +"%T $set $way" >> $R/progress
  case $set in
    rtqa25-60) (cd /tmp && NEWSBOT_LLAMA_REPACK=$way $NB eval run $E/realtimeqa-2025 --format realtimeqa --answerer local --sample 60 --out $out);;
    seed) (cd $T && NEWSBOT_LLAMA_REPACK=$way $NB eval run evals/seed.jsonl --answerer local --out $out);;
    temporal) (cd $T && NEWSBOT_LLAMA_REPACK=$way $NB eval run evals/temporal.jsonl --answerer local --out $out);;
    mh) (cd /tmp && NEWSBOT_LLAMA_REPACK=$way $NB eval run $E/multihop-rag-500 --sample 60 --answerer local --out $out);;
    cold) (cd /tmp && NEWSBOT_ANSWERER=local NEWSBOT_LLAMA_REPACK=$way $NB bench $E/realtimeqa-2022 --articles 200 --skip embed,ingest,sizes,server,recall --cold-runs 3 --out $out --workdir $R/benchwork);;
    burst) (cd $T && NEWSBOT_LLAMA_REPACK=$way /work/main/.venv/bin/python evals/bench_slack.py --events 10 --answerer local --out $out.json);;
    rgb) (cd /tmp && NEWSBOT_LLAMA_REPACK=$way $NB eval run $E/rgb --sample 100 --answerer local --out $out);;
  esac > $out.log 2>&1
}
lscpu > $R/cpu.txt; grep -m1 flags /proc/cpuinfo >> $R/cpu.txt
for set in ${SETS:-rtqa25-60 cold burst seed mh rgb temporal}; do
  run $set on; run $set off
done
date +"%T done" >> $R/progress
