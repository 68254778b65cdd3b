"""One row per run folder: the figures the note reports."""
import json, sys, os
def f(x): return '–' if x is None else (f'{x:.3f}' if isinstance(x, float) else str(x))
print('| run | n | contains | recall@10 | cit. prec. | abst. P / R | stages (cand, ev@1, read, wrote, kept, answer) | set aside / fallback | answer p50/p95 s | prompt tok |')
print('|---|---|---|---|---|---|---|---|---|---|')
for d in sys.argv[1:]:
    try: r = json.load(open(os.path.join(d, 'report.json')))
    except Exception as e: print('|', d, '| missing |'); continue
    recs = [json.loads(l) for l in open(os.path.join(d, 'results.jsonl'))]
    st = r['extra'].get('stages') or {}
    stages = ', '.join(f(st.get(k)) for k in ('candidate_recall', 'evidence@1', 'model_read', 'model_wrote', 'check_kept', 'answer_contains'))
    aside = sum(1 for x in recs if (x.get('check') or {}).get('temporal_set_aside'))
    fb = sum(1 for x in recs if (x.get('check') or {}).get('temporal_fallback'))
    lat = r['latency_ms']; m = r['extra'].get('model') or {}
    rec10 = (r.get('retrieval') or {}).get('answer_recall@10')
    print(f"| {os.path.basename(d)} | {r['n']} | {f(r['answer']['contains'])} | {f(rec10)} | {f(r['citations']['precision'])} | {f(r['abstention']['precision'])} / {f(r['abstention']['recall'])} | {stages} | {aside} / {fb} | {lat['answer_p50']/1000:.1f} / {lat['answer_p95']/1000:.1f} | {f(m.get('prompt_tokens_mean'))} |")
