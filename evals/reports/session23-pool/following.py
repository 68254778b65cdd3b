"""Does dropping a quiz's "which of the following" (the choices are not given) help retrieval? For
every RealTime QA 2025 question with that wording, the rank of the first chunk holding the gold answer
in the top 10, as asked and with the words taken out (`python following.py`; the index of rx.sh's runs).
Prints the questions whose rank changes and [questions, found as asked, found without]."""
import json,gzip,glob,re,string,datetime as dt,sys
sys.path.insert(0,'/tmp/s23/exp')
from bot.settings import Settings
from bot.pipeline import Pipeline
def norm(s):
    s=s.lower(); s=''.join(ch for ch in s if ch not in set(string.punctuation)); s=re.sub(r'\b(a|an|the)\b',' ',s); return ' '.join(s.split())
E='/work/shared/evaldata/realtimeqa-2025'
s=Settings.from_env(data_dir=__import__('pathlib').Path(glob.glob('/tmp/s23/data/eval/realtimeqa-2025-*')[0]), answerer='extractive')
p=Pipeline(s)
RX=re.compile(r'\b(?:which|what)\s+(?:one\s+)?of\s+(?:the\s+following|these|those)\b', re.I)
tot=[0,0,0]
for f in sorted(glob.glob(E+'/questions/*')):
    for l in gzip.open(f,'rt'):
        q=json.loads(l); t=q['question_sentence']
        if not RX.search(t): continue
        g=norm(q['choices'][int(q['answer'][0])]); asof=dt.date.fromisoformat(q['question_date'].replace('/','-')[:10])
        def rank(text):
            hits=p.retrieve(p.query(text, as_of=asof, k=10))
            return next((i+1 for i,h in enumerate(hits) if g in norm(h.passage.text)),None)
        a=rank(t); b=rank(RX.sub('which', t))
        tot[0]+=1; tot[1]+= a is not None; tot[2]+= b is not None
        if a!=b: print(a,b,'|',t[:100])
print(tot)
