"""Embed one short text per article (title + lead) with nomic-embed-text v1.5 (offline experiment)."""
import sqlite3, sys, collections, pickle, time
import numpy as np
from llama_cpp import Llama
name, idx = sys.argv[1], sys.argv[2]
db = sqlite3.connect(f'{idx}/state.db')
docs = {d: (t or '') for d, t in db.execute('select doc_id, title from docs')}
first = {}
for d, i, text in db.execute('select doc_id, idx, text from chunks order by doc_id, idx'):
    first.setdefault(d, text)
m = Llama('/tmp/s17/nomic/nomic-embed-text-v1.5.f16.gguf', embedding=True, n_ctx=2048, n_batch=2048, n_ubatch=2048, n_threads=2, verbose=False)
out = {}
t0 = time.time()
for d in docs:
    lead = ' '.join((first.get(d) or '').split()[:200])
    text = f"search_document: {docs[d]}. {lead}"
    v = np.array(m.embed(text), dtype=np.float32)
    out[d] = v / np.linalg.norm(v)
print(name, len(out), 'docs', round(time.time() - t0, 1), 's')
pickle.dump(out, open(f'/tmp/s17/nomic-{name}.pkl', 'wb'))
