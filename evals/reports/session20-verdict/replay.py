"""The harness with the local model replaced by a replay of a finished run's model output (each answer's
checked and dropped sentences with their markers, as the claim check recorded them), so a change to the
check or to what follows the model is measured without the model. Usage: replay.py RUN_DIR ARGS..."""
import json, re, sys
from bot.answer import llm_local
rec = {}
cond = {}
for r in map(json.loads, open(sys.argv[1] + "/results.jsonl")):
    ch = r.get("check") or {}
    vs = ch.get("verdicts") or []
    text = " ".join(v["sentence"] + "".join(f" [{n}]" for n in v["cited"]) for v in vs)
    rec[" ".join(r["standalone_query"].split())] = text or "I couldn't find that in the passages."
    cond[" ".join(r["question"].split())] = r["standalone_query"]
miss = []
def complete(self, messages, stream=False, usage=None, **kw):
    user = messages[-1]["content"]
    m = re.search(r"^Question: (.*)$", user, re.M)
    if m and "Passages:" in user:
        key = " ".join(m.group(1).split())
        text = rec.get(key)
        if text is None:
            miss.append(key); text = "I couldn't find that in the passages."
    else:  # the condense step: the recorded standalone question of the follow-up it holds
        flat = " ".join(user.split())  # the follow-up is the last question the condense prompt holds
        found = [(flat.rfind(q), s) for q, s in cond.items() if q in flat]
        text = max(found)[1] if found else ""
        if not text: miss.append("condense:" + user[-120:])
    if usage is not None:
        usage.update(prompt_tokens=0, generated_tokens=0)
    return iter([text]) if stream else text
llm_local.LlamaCppBackend.complete = complete
llm_local.LlamaCppBackend.warm_up = lambda self: None
from bot.cli import main
rc = main(sys.argv[2:])
print("REPLAY MISSES", len(miss), miss[:5], file=sys.stderr)
sys.exit(rc)
