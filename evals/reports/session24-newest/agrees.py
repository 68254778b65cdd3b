"""Each recorded answer that the newest rule replaced (`check.temporal_fallback == "newest"`): would
`states_newest` (this tree) keep the model's checked sentences, is the model's answer right, was the
rule's? Usage: agrees.py RUN_DIR... (run folders of `newsbot eval run --out`, whose final answer is the
rule's, so its citations are the sentences the rule compared)."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bot.answer.generate import states_newest  # noqa: E402
from bot.evaluation.metrics import contains  # noqa: E402

for run in sys.argv[1:]:
    for line in open(f"{run}/results.jsonl"):
        r = json.loads(line)
        check = r.get("check") or {}
        if check.get("temporal_fallback") != "newest":
            continue
        kept = [v["sentence"] for v in check.get("verdicts", []) if v["kept"]]
        plan = SimpleNamespace(temporal="newest", citations=[SimpleNamespace(quote=c["quote"]) for c in r["citations"]])
        print(Path(run).name, r["id"], "keeps" if states_newest(plan, kept, r["question"]) else "gives way",
              "| model right", contains(" ".join(kept), r["gold"]) if r["gold"] else "-",
              "| rule right", r["scores"]["contains"])
