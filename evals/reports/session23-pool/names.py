"""`question_names` over every question of the five sets (RealTime QA 2022 and 2025, MultiHop-RAG, RGB,
the seed set), by the tree given first, written as JSON to the file given second: run with the old and
the new tree and compare."""
import json,gzip,glob,sys
sys.path.insert(0, sys.argv[1])
from bot.answer.asked import question_names
qs=[]
for f in glob.glob('/work/shared/evaldata/realtimeqa-202*/questions/*.gz'):
    qs+=[json.loads(l)['question_sentence'] for l in gzip.open(f,'rt')]
qs+=[q['question'] for q in json.load(gzip.open('/work/shared/evaldata/multihop-rag-500/queries.json.gz'))['queries']]
qs+=[json.loads(l)['query'] for l in gzip.open('/work/shared/evaldata/rgb/en_fact.jsonl.gz','rt')]
for l in open('/work/main/evals/seed.jsonl'):
    d=json.loads(l); qs+=[t['question'] for t in d.get('turns',[])] if 'turns' in d else [d.get('question','')]
json.dump({q:question_names(q) for q in qs},open(sys.argv[2],'w'))
print(len(qs))
