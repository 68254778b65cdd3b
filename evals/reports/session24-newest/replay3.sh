#!/usr/bin/env bash
# every set replayed through the old (3a7f35f) and the new (HEAD) tree from recorded model output
R=/work/main/evals/reports/session20-verdict/replay.py; E=/work/shared/evaldata; PY=/work/main/.venv/bin/python
export NEWSBOT_EMBEDDER=minilm-int8
cd /tmp
for L in b0 fin2; do
  T=/tmp/s24/$L; O=/tmp/s24/five3/$L; mkdir -p /tmp/s24/five3
  (PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s23/data $PY $R /tmp/s24/rec25 eval run $E/realtimeqa-2025 --format realtimeqa --answerer local --sample 200 --out $O-rtqa2025 > $O-rtqa2025.log 2>&1)
  (PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s22/data $PY $R /tmp/s23/rec22 eval run /tmp/s22/rtqa2022 --format realtimeqa --answerer local --out $O-rtqa2022 > $O-rtqa2022.log 2>&1)
  (PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s22/data $PY $R /tmp/s22/runs/after-rgb eval run $E/rgb --sample 100 --answerer local --out $O-rgb > $O-rgb.log 2>&1)
  (PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s22/data $PY $R /tmp/s22/runs/after-mh eval run $E/multihop-rag-500 --sample 60 --answerer local --out $O-mh > $O-mh.log 2>&1)
  (cd $T && PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s22/data $PY $R /tmp/s22/runs/final-seed eval run evals/seed.jsonl --answerer local --out $O-seed > $O-seed.log 2>&1)
  (cd $T && PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s24/tdata $PY $R /tmp/s24/runs/temporal-local eval run evals/temporal.jsonl --answerer local --out $O-temporal > $O-temporal.log 2>&1)
done
echo done > /tmp/s24/five3/done
