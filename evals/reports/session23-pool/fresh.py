"""How fresh are the retrieved chunks? For each run (`python fresh.py RUN_DIR...`) and k in 1, 4, 10:
the share of the top k chunks published 0-30 days before the question's as-of date, and the share of
questions whose gold answer is in one of those fresh chunks (the pooled index of rx.sh's runs)."""
import json,re,string,sqlite3,glob,datetime as dt,sys
def norm(s):
    s=s.lower(); s=''.join(ch for ch in s if ch not in set(string.punctuation)); s=re.sub(r'\b(a|an|the)\b',' ',s); return ' '.join(s.split())
db=sqlite3.connect(glob.glob('/tmp/s23/data/eval/realtimeqa-2025-*/state.db')[0])
pub={d:p for d,p in db.execute('select doc_id,published from docs')}
def txt(c): return norm(db.execute('select text from chunks where chunk_id=?',(c,)).fetchone()[0])
for run in sys.argv[1:]:
    rs=[json.loads(l) for l in open(run+'/results.jsonl')]
    out={}
    for K in (1,4,10):
        fr=fg=0
        for r in rs:
            asof=dt.date.fromisoformat(r['as_of']); g=norm(r['gold'][0])
            ret=r['retrieved'] if isinstance(r['retrieved'],list) else eval(r['retrieved'])
            fresh=[c for c in ret[:K] if pub.get(c.rsplit(':',1)[0]) and 0 <= (asof-dt.date.fromisoformat(pub[c.rsplit(':',1)[0]][:10])).days <= 30]
            fr+=len(fresh)/K; fg+=any(g in txt(c) for c in fresh)
        out[K]=(round(fr/len(rs),3), round(fg/len(rs),3))
    print(run, 'K: (fresh share, gold in a fresh chunk)', out)
