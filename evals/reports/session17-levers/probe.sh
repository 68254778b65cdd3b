#!/usr/bin/env bash
# probe.sh TAG P F SETS
TAG=$1; export P=$2 F=$3; shift 3
PY="/work/main/.venv/bin/python /tmp/s17/probe.py"
for set in "$@"; do
  case $set in
    seed) (cd /work/main && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s12/data $PY eval run evals/seed.jsonl --answerer local --out /tmp/s17/probe/$TAG-seed);;
    rtqa2025|rtqa2022) (cd /tmp && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s10/data-rtqa $PY eval run /tmp/s10/$set --format realtimeqa --answerer local --out /tmp/s17/probe/$TAG-$set);;
    mh) (cd /tmp && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s12/data $PY eval run /work/shared/evaldata/multihop-rag-500 --sample 60 --answerer local --out /tmp/s17/probe/$TAG-mh);;
    rgb) (cd /tmp && PYTHONPATH=/work/main NEWSBOT_DATA_DIR=/tmp/s12/data $PY eval run /work/shared/evaldata/rgb --sample 100 --answerer local --out /tmp/s17/probe/$TAG-rgb);;
  esac > /tmp/s17/probe/$TAG-$set.log 2>&1
  python3 - /tmp/s17/probe/$TAG-$set <<'PY'
import json,sys
r=json.load(open(sys.argv[1]+'/report.json'))
st=r["extra"]["stages"]; m=r["extra"].get("model") or {}
print(sys.argv[1].split("/")[-1], "model_read", st.get("model_read"), "cand", st.get("candidate_recall"), "answers", m.get("answers"), "prompt_tokens", m.get("prompt_tokens_mean"), flush=True)
PY
done
