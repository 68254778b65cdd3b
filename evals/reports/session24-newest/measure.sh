#!/usr/bin/env bash
# 1) the new tree's real model answer to the one question whose prompt changed (RealTime QA 2025's "history of");
# 2) the temporal set with the real model through the new tree (no question of it changes form);
set -x
R=/work/main/evals/reports/session20-verdict/replay.py; E=/work/shared/evaldata; PY=/work/main/.venv/bin/python
export NEWSBOT_EMBEDDER=minilm-int8
cd /tmp
# the one question, in a copy of the set's layout (its week's file holding only it; the articles linked)
mkdir -p /tmp/s24/sub/realtimeqa-2025/questions && ln -sfn $E/realtimeqa-2025/articles /tmp/s24/sub/realtimeqa-2025/articles
$PY -c "
import gzip, json
out = gzip.open('/tmp/s24/sub/realtimeqa-2025/questions/20250307_qa.jsonl.gz', 'wt')
out.writelines(l for l in gzip.open('$E/realtimeqa-2025/questions/20250307_qa.jsonl.gz', 'rt') if json.loads(l)['question_id'] == '20250307_4')"
PYTHONPATH=/tmp/s24/af NEWSBOT_DATA_DIR=/tmp/s23/data $PY -m bot.cli eval run /tmp/s24/sub/realtimeqa-2025 --format realtimeqa --answerer local --out /tmp/s24/runs/sub25 > /tmp/s24/runs/sub25.log 2>&1
mkdir -p /tmp/s24/rec25
$PY - <<'PY'
import json
new = {json.loads(l)["id"]: l for l in open("/tmp/s24/runs/sub25/results.jsonl")}
with open("/tmp/s24/rec25/results.jsonl", "w") as out:
    for l in open("/tmp/s23/rec25/results.jsonl"):
        out.write(new.get(json.loads(l)["id"], l))
PY
(cd /tmp/s24/af && PYTHONPATH=/tmp/s24/af NEWSBOT_DATA_DIR=/tmp/s24/tdata $PY -m bot.cli eval run evals/temporal.jsonl --answerer local --out /tmp/s24/runs/temporal-local > /tmp/s24/runs/temporal-local.log 2>&1)
# 3) replay2.sh: every set replayed through the old and the new tree.
