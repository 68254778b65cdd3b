"""Session 13: share of answerable questions whose gold is in the prompt the local model read, for 6/5/4 passages
and 3/2 focus sentences, rebuilt from a run's answer_chunks and its index. Usage: prompt_recall_offline.py RESULTS.jsonl STATE.db"""
import json, sys
sys.path.insert(0, '/work/main')
from bot.state import StateDB
from bot.schema import Hit, Query
from bot.answer.prompting import build_messages, group_by_article
from bot.temporal import question_form
from bot.evaluation.metrics import contains_text
res, db = sys.argv[1], sys.argv[2]
st = StateDB(db)
rows = [json.loads(l) for l in open(res)]
rows = [r for r in rows if r.get('answerable', True) and r['gold']]
out = []
for npass in (6, 5, 4):
    for focus in (3, 2):
        hit = words = 0
        for r in rows:
            ids = (r.get('answer_chunks') or [])[:npass]
            ps = st.passages(ids); hits = [Hit(ps[i], 1.0, None, None) for i in ids if i in ps]
            f = 1 if question_form(r['question']) != 'value' else focus
            text = build_messages(Query.of(r['standalone_query'] or r['question']), group_by_article(hits), f)[1]['content']
            hit += contains_text(text, r['gold']); words += len(text.split())
        out.append(f'p{npass}f{focus}: {hit/len(rows):.3f} {words/len(rows):.0f}w')
print(res.split('/')[-2], len(rows), ' | '.join(out))
