import json, sqlite3, sys, collections, pickle
import numpy as np
from llama_cpp import Llama
from bot.evaluation.metrics import contains_text
name, idx = sys.argv[1], sys.argv[2]
db = sqlite3.connect(f'{idx}/state.db')
pub = {d: p for d, p in db.execute('select doc_id, published from docs')}
chunks = collections.defaultdict(list)
for d, text in db.execute('select doc_id, text from chunks'):
    chunks[d].append(text)
vecs = pickle.load(open(f'/tmp/s17/nomic-{name}.pkl', 'rb'))
ana = {o['id']: o for o in json.load(open(f'/tmp/s16/ana-{name[-4:]}.json'))}
m = Llama('/tmp/s17/nomic/nomic-embed-text-v1.5.f16.gguf', embedding=True, n_ctx=2048, n_batch=2048, n_ubatch=2048, n_threads=2, verbose=False)
c = collections.Counter()
for r in map(json.loads, open(f'/tmp/s15/ext/after-{name}/results.jsonl')):
    if not r['answerable']: continue
    ok = [d for d in pub if (pub[d] or '9999') <= r['as_of'] and any(contains_text(t, r['gold']) for t in chunks[d])]
    if not ok: continue
    c['ceiling'] += 1
    q = np.array(m.embed('search_query: ' + r['question']), dtype=np.float32); q /= np.linalg.norm(q)
    docs = sorted((d for d in vecs if (pub[d] or '0000') <= r['as_of']), key=lambda d: -float(vecs[d] @ q))
    nr = next((i + 1 for i, d in enumerate(docs) if d in ok), None)
    cr = ana[r['id']]['drank']
    for k in (1, 3, 5, 10, 20):
        c[f'nomic@{k}'] += nr is not None and nr <= k
        c[f'cur@{k}'] += cr is not None and cr <= k
print(name, dict(sorted(c.items())))
