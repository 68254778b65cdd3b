"""Session 13: for the news-rule overrides (check.temporal_fallback) in a run of the code before the change,
which the new rule (bot.answer.generate.answers_otherwise) would set aside. Usage: news_rule_offline.py RESULTS.jsonl..."""
import json, sys
sys.path.insert(0,'/work/main')
from bot.temporal import stated
from bot.answer.question import answer_type
for f in sys.argv[1:]:
    print('=====',f)
    for l in open(f):
        r=json.loads(l); ch=r.get('check') or {}
        if ch.get('temporal_fallback') not in ('newest','disagreement'): continue
        q=r['question']
        model=' '.join(v['sentence'] for v in ch.get('verdicts',[]) if v.get('kept'))
        new=stated(model,q,answer_type(q)) - stated(' '.join(c['quote'] for c in r['citations']), q)
        print(r['id'], ch['temporal_fallback'], 'KEEP_MODEL' if new else 'plan', sorted(new))
