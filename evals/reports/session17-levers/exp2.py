"""Answer-recall@k of retrieval with nomic article ranks fused in (offline experiment, session 17).
usage: exp2.py VARIANT SETS   VARIANT = base | rrf:W:M (article-rank RRF weight W, lead passages of top M nomic articles added)"""
import json, sys, datetime as dt, collections, pickle, sqlite3
from pathlib import Path
import numpy as np
from bot.settings import Settings
from bot.pipeline import Pipeline
from bot.schema import Query, Chunk
from bot.evaluation.metrics import contains_text
import bot.retrieve as R
SETS = {
 'seed': '/tmp/s12/data', 'mh': '/tmp/s12/data/eval/multihop-rag-500-passages', 'rgb': '/tmp/s12/data/eval/rgb-passages',
 'rtqa2025': '/tmp/s10/data-rtqa/eval/rtqa2025-899f369d22c7', 'rtqa2022': '/tmp/s10/data-rtqa/eval/rtqa2022-55fbf8adb7a5'}
variant = sys.argv[1]
sets = sys.argv[2].split(',')
KS = (1, 4, 6, 10)
G = {}
_m = None
def qvec(text):
    global _m
    if _m is None:
        from llama_cpp import Llama
        _m = Llama('/tmp/s17/nomic/nomic-embed-text-v1.5.f16.gguf', embedding=True, n_ctx=2048, n_batch=2048, n_ubatch=2048, n_threads=2, verbose=False)
    v = np.array(_m.embed(f"search_query: {text}"), dtype=np.float32)
    return v / np.linalg.norm(v)
orig = R.HybridRetriever.fuse
if variant != 'base':
    _, W, M = variant.split(':'); W = float(W); M = int(M)
    def fuse(self, query, passages, dense, lexical):
        vecs, pub = G['vecs'], G['pub']
        q = qvec(query.search_text)
        docs = [d for d in vecs if query.as_of is None or (pub.get(d) or '0000') <= query.as_of.isoformat()]
        sims = {d: float(vecs[d] @ q) for d in docs}
        arank = {d: i + 1 for i, d in enumerate(sorted(docs, key=lambda d: -sims[d]))}
        top = [d for d in sorted(docs, key=lambda d: -sims[d])[:M]]
        have = {p.doc_id for p in passages.values()}
        extra = self.state.passages([Chunk(d, 0, "", 0, 0).id for d in top if d not in have]) if M else {}
        passages = {**passages, **extra}
        # the article list as a third ranked list: each candidate passage ranked by its article
        cands = [c for c, _ in dense] + [c for c, _ in lexical] + list(extra)
        art = sorted(dict.fromkeys(cands), key=lambda c: arank.get(passages[c].doc_id, 10**6))
        # fuse expects (id, score) lists; pass the article list as extra lexical-like list via RRF weight trick
        hits = orig(self, query, passages, dense, list(lexical) + [(c, 0.0) for c in extra])
        base = {h.passage.id if hasattr(h.passage, 'id') else None: h for h in hits}
        return hits, art, arank
    def retrieve_fuse(self, query, passages, dense, lexical):
        hits, art, arank = fuse(self, replace(query, k=max(60, query.k * 6)), passages, dense, lexical)
        score = {}
        for i, h in enumerate(hits):
            score[id(h)] = 1.0 / (60 + i + 1) + W / (60 + arank.get(h.passage.doc_id, 10**6))
        hits = sorted(hits, key=lambda h: -score[id(h)])
        return hits[:query.k]
    from dataclasses import replace
    R.HybridRetriever.fuse = retrieve_fuse
res = {}
for name in sets:
    rows = [json.loads(l) for l in open(f'/tmp/s15/ext/after-{name}/results.jsonl')]
    if variant != 'base':
        G['vecs'] = pickle.load(open(f'/tmp/s17/nomic-{name}.pkl', 'rb'))
        db = sqlite3.connect(f'{SETS[name]}/state.db')
        G['pub'] = {d: p for d, p in db.execute('select doc_id, published from docs')}
    pipe = Pipeline(Settings.from_env().with_(data_dir=Path(SETS[name])))
    c = collections.Counter(); ranks = {}
    for r in rows:
        if not r['answerable'] or not r['gold']: continue
        if name == 'mh' and r['gold'][0].lower() in ('yes', 'no'): continue
        as_of = dt.date.fromisoformat(r['as_of']) if r.get('as_of') else None
        hits = pipe.retrieve(Query(r['standalone_query'] or r['question'], k=10, as_of=as_of))
        rank = next((i + 1 for i, h in enumerate(hits) if contains_text(h.passage.text, r['gold'])), None)
        ranks[r['id']] = rank
        c['n'] += 1
        for k in KS: c[k] += rank is not None and rank <= k
    res[name] = {'n': c['n'], **{f'r@{k}': round(c[k] / c['n'], 3) for k in KS}}
    json.dump(ranks, open(f'/tmp/s17/ranks-{variant}-{name}.json', 'w'))
    print(variant, name, res[name], flush=True)
