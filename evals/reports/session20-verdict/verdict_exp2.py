"""The harness with the local model replaced by a fixed "No." reply; records the claim check's verdict
scores (whole statement and per part) for every yes/no question. Usage: verdict_exp2.py OUT.jsonl ARGS..."""
import json, re, sys
from bot.answer import llm_local, check
from bot.answer.check import CheckSession, claim_content
out = open(sys.argv[1], "w")
def complete(self, messages, stream=False, usage=None, **kw):
    return iter(["No."]) if stream else "No."
llm_local.LlamaCppBackend.complete = complete
llm_local.LlamaCppBackend.warm_up = lambda self: None
orig = CheckSession._verdict
SPLIT = re.compile(r",?\s+(?:while|whereas|but|and\s+(?=(?:does|did|is|was|has|have|do|are|were)\b))\s+|;\s*|,\s+and\s+", re.I)
def verdict(self, claim, cited):
    v = orig(self, claim, cited)
    st = self._statement.rstrip("?").strip()
    parts = []
    everything = tuple(range(1, len(self.passages) + 1))
    for part in [x for x in SPLIT.split(st) if x and x.strip()]:
        c = claim_content(part)
        if not c: continue
        vec = self.embedder.embed([part])[0]
        j = self._score(part, c, vec, everything, premise=False)
        n = len(set(check.claim_names(part))) + len(check.claimed_amounts(part))
        parts.append(dict(s=round(j.support, 3), c=round(j.cosine, 3), l=round(j.lexical, 3), miss=len(j.missing), names=n, text=part[:60]))
    n = len(set(check.claim_names(st))) + len(check.claimed_amounts(st))
    out.write(json.dumps(dict(q=st[:100], kept=v.kept, reason=v.reason, s=round(v.support, 3), c=round(v.cosine, 3), l=round(v.lexical, 3), miss=len(v.missing), names=n, missing=list(v.missing)[:8], parts=parts)) + "\n"); out.flush()
    return v
CheckSession._verdict = verdict
from bot.cli import main
sys.exit(main(sys.argv[2:]))
