"""Session 13: where a local-model run lost the gold (not in the prompt, model wrong, said not found, dropped
by the check, replaced by a news rule or too long). Usage: where_lost_offline.py RESULTS.jsonl STATE.db"""
import json, sys
sys.path.insert(0, '/work/main')
from collections import Counter
from bot.state import StateDB
from bot.schema import Hit, Query
from bot.answer.prompting import build_messages, group_by_article
from bot.temporal import question_form
from bot.evaluation.metrics import contains_text, contains, word_count
res, db = sys.argv[1], sys.argv[2]
st = StateDB(db); c = Counter(); ex = {}
for l in open(res):
    r = json.loads(l)
    if not r.get('answerable', True) or not r['gold']: continue
    ids = r.get('answer_chunks') or []
    ps = st.passages(ids); hits = [Hit(ps[i], 1.0, None, None) for i in ids if i in ps]
    f = 1 if question_form(r['question']) != 'value' else 3
    text = build_messages(Query.of(r['standalone_query'] or r['question']), group_by_article(hits), f)[1]['content']
    if not contains_text(text, r['gold']): c['not in prompt'] += 1; continue
    ch = r.get('check') or {}
    raw = ' '.join(v['sentence'] for v in ch.get('verdicts', []))
    kept = ' '.join(v['sentence'] for v in ch.get('verdicts', []) if v.get('kept'))
    ok = r['scores']['contains'] > 0
    if ok: k = 'correct'
    elif ch.get('model_abstained'): k = 'model said not found'
    elif contains_text(kept, r['gold']): k = 'model right, answer replaced/too long (' + (ch.get('temporal_fallback') or ('long' if word_count(r['answer'])>50 else 'other')) + ')'
    elif contains_text(raw, r['gold']): k = 'model right, check dropped it'
    else: k = 'model wrong'
    c[k] += 1; ex.setdefault(k, []).append(r['id'])
n = sum(c.values())
for k, v in c.most_common(): print(f'  {k}: {v} ({v/n:.3f})', ex.get(k, [])[:6])
