import json, sys
sys.path.insert(0, '/work/main')
from bot.answer.claims import claim_content
from bot.answer.question import terms
sets = {'seed': ('/tmp/s19/runs/before-seed', '/tmp/s18/sets/after-seed', '/tmp/s19/j2-seed.jsonl'),
        'mh': ('/tmp/s19/runs/before-mh', '/tmp/s18/sets/after-mh', '/tmp/s19/j2-mh.jsonl'),
        'rtqa2025': ('/tmp/s18/runs/avx2-rtqa2025', '/tmp/s18/sets/after-rtqa2025', '/tmp/s19/j2-rtqa2025.jsonl')}
def load(d): return {r['standalone_query']: r for r in map(json.loads, open(d + '/results.jsonl'))}
rows = {}
for name, (ld, ed, jf) in sets.items():
    L, E = load(ld), load(ed)
    rows[name] = []
    for j in map(json.loads, open(jf)):
        l = L[j['q']]; e = E.get(j['q'])
        quote = " ".join(c['quote'] for c in l['citations'][:2])
        qc = set(claim_content(j['q']))
        have = set(terms(quote + " " + j['a']))
        cov = len(qc & have) / len(qc) if qc else 1
        new = 0.0 if (e is None or e['abstained']) else (e['scores'].get('contains') or 0.0)
        old = l['scores'].get('contains') or 0.0
        rows[name].append((cov, j['sc'], old, new, len(qc)))
for cg in (0.0, 0.5, 0.6, 0.7, 0.8):
    for t in (0.35, 0.7):
        out = []
        for name, R in rows.items():
            sel = [r for r in R if r[0] >= cg and r[1] < t]
            out.append(f"{name} {len(sel)}:+{sum(r[3] > r[2] for r in sel)}-{sum(r[3] < r[2] for r in sel)}")
        print(f"cov>={cg} t<{t}", " | ".join(out))
for name, R in rows.items():
    print(name, 'coverage of right/wrong', sorted(round(r[0],2) for r in R if r[2])[:10], sorted(round(r[0],2) for r in R if not r[2])[:10])
