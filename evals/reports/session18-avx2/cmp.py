import json, sys
for s in sys.argv[1:]:
    try:
        b = [json.loads(l) for l in open(f"/tmp/s18/sets/before-{s}/results.jsonl")]
        a = [json.loads(l) for l in open(f"/tmp/s18/sets/after-{s}/results.jsonl")]
    except FileNotFoundError:
        print(s, "missing"); continue
    bi = {r.get("id") or r.get("question_id"): r for r in b}
    same_ans = sum(1 for r in a if bi.get(r.get("id") or r.get("question_id"), {}).get("answer") == r.get("answer"))
    same_ret = sum(1 for r in a if bi.get(r.get("id") or r.get("question_id"), {}).get("retrieved") == r.get("retrieved"))
    print(f"{s}: {len(a)} questions, identical answers {same_ans}, identical retrieved lists {same_ret}")
