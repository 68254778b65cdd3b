#!/usr/bin/env bash
# Session 12: the local model's runs behind README.md's second table (B = main c54e455 at /work/main
# then; EF, L4 and V = this branch's code with evidence-first-shortlist.diff applied, in /work/wt-ev,
# switched by environment variables that existed only for these runs: DEV_EF=1 evidence first,
# DEV_SL=N shortlist of N passages, DEV_LP=N passages gathered). Every run uses the same indexes:
# /tmp/s12/data (seed, MultiHop-RAG) and session 10's /tmp/s10/data-rtqa (RealTime QA 3-week pools).
set -u
NB=/work/main/.venv/bin/newsbot
run() {  # run TAG TREE SET
  local tag=$1 tree=$2 set=$3
  case $set in
    seed) (cd $tree && PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run evals/seed.jsonl --answerer local --out /tmp/s12/$tag-seed);;
    rtqa2025|rtqa2022) PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $NB eval run /tmp/s10/$set --format realtimeqa --answerer local --out /tmp/s12/$tag-$set;;
    mh) PYTHONPATH=$tree NEWSBOT_DATA_DIR=/tmp/s12/data $NB eval run /work/shared/evaldata/multihop-rag-500 --sample 60 --answerer local --out /tmp/s12/$tag-mh;;
  esac
}
for set in rtqa2025 rtqa2022 mh; do run B /work/main "$set"; done
for set in seed rtqa2025 rtqa2022; do DEV_LP=10 DEV_EF=1 run EF /work/wt-ev "$set"; done
DEV_LP=6 DEV_SL=4 DEV_EF=0 run L4 /work/wt-ev seed
for set in rtqa2022; do DEV_LP=10 DEV_SL=6 DEV_EF=0 run V /work/wt-ev "$set"; done
