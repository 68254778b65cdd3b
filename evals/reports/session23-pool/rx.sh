#!/usr/bin/env bash
# rx.sh LABEL VAR=VALUE...: the extractive answerer over the RealTime QA 2025 pool, --sample 200, with the tree
# /tmp/s23/exp (main 779684b with recency_prior.diff applied: X_PRIOR, X_DAYS, X_WEEK set the as-of prior).
L=$1; shift
cd /tmp && env "$@" PYTHONPATH=/tmp/s23/exp NEWSBOT_DATA_DIR=/tmp/s23/data NEWSBOT_EMBEDDER=minilm-int8 nice -n 5 /work/main/.venv/bin/newsbot eval run /work/shared/evaldata/realtimeqa-2025 --format realtimeqa --answerer extractive --sample 200 --out /tmp/s23/runs/x-$L > /tmp/s23/runs/x-$L.log 2>&1
echo "$L $* $(grep -A2 '^| system | recall' /tmp/s23/runs/x-$L/report.md | tail -1) contains $(grep '^| newsbot (default) |' /tmp/s23/runs/x-$L/report.md | head -1 | cut -d'|' -f5)"
