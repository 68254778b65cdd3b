#!/usr/bin/env bash
# Before (779684b) and after (320e6d0) through session 20's replay.py, RealTime QA 2025 (this run plus the
# new tree's model answers to the questions it now asks: /tmp/s23/rec25) and 2022 (session 22's run, likewise).
R=/work/main/evals/reports/session20-verdict/replay.py; E=/work/shared/evaldata; PY=/work/main/.venv/bin/python
export NEWSBOT_EMBEDDER=minilm-int8
for L in b4 af; do
  T=/tmp/s23/$L; O=/tmp/s23/five/$L
  mkdir -p /tmp/s23/five
  (cd /tmp && PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s23/data $PY $R /tmp/s23/rec25 eval run $E/realtimeqa-2025 --format realtimeqa --answerer local --sample 200 --out $O-rtqa2025 > $O-rtqa2025.log 2>&1)
  (cd /tmp && PYTHONPATH=$T NEWSBOT_DATA_DIR=/tmp/s22/data $PY $R /tmp/s23/rec22 eval run /tmp/s22/rtqa2022 --format realtimeqa --answerer local --out $O-rtqa2022 > $O-rtqa2022.log 2>&1)
done
echo done > /tmp/s23/five/done
