"""Which recorded answers would the name rule (bot/answer/asked.py `unfound_names`) decide differently?
For each recorded run (paths below: this session's and session 22's) and each question, the names the
question asks about that the passages the model read do not mention, by the tree given first (put on
sys.path); written to the JSON file given second. Run once with the old tree and once with the new one
and compare the files."""
import json,sqlite3,sys
sys.path.insert(0, sys.argv[1])
from bot.answer.asked import unfound_names
from bot.schema import Passage
sets=[('/tmp/s23/runs/base-all-rtqa2025','/tmp/s23/data/eval/realtimeqa-2025-54e2a69a2b9f'),('/tmp/s22/runs/after-rtqa2022','/tmp/s22/data/eval/rtqa2022-55fbf8adb7a5'),('/tmp/s22/runs/after-mh','/tmp/s22/data/eval/multihop-rag-500-passages'),('/tmp/s22/runs/after-rgb','/tmp/s22/data/eval/rgb-passages'),('/tmp/s22/runs/final-seed','/tmp/s22/data')]
out={}
for run,idx in sets:
    db=sqlite3.connect(idx+'/state.db')
    for l in open(run+'/results.jsonl'):
        r=json.loads(l)
        ac=r['answer_chunks'] if isinstance(r['answer_chunks'],list) else eval(r['answer_chunks'])
        ps=[]
        for c in ac:
            row=db.execute('select c.text,d.title,d.source from chunks c join docs d on c.doc_id=d.doc_id where c.chunk_id=?',(c,)).fetchone()
            if row: ps.append(Passage(chunk_id=c,doc_id=c.rsplit(':',1)[0],text=row[0],article_id='',title=row[1],source=row[2],published=None))
        q=r['standalone_query'] or r['question']
        out[run.split('/')[-1]+'/'+r['id']+'/'+str(r.get('turn'))]=(unfound_names(q,ps), r['answerable'], "couldn't find anything about" in r['answer'])
json.dump(out,open(sys.argv[2],'w'))
