import json,sys
# Replace the model's checked answer by the extractive one where the judge's yes-no log-odds < t.
for path in sys.argv[1:]:
    R=[json.loads(l) for l in open(path)]
    for t in (0.0, 0.35, 0.7):
        gain=loss=rep=ab=0
        for r in R:
            if r['sc']>=t: continue
            rep+=1
            if not r['answerable']:
                ab+= 1 if r['eab'] else 0; continue
            lc=r['lc'] or 0; ec=0 if r['eab'] else (r['ec'] or 0)
            gain+= ec>lc; loss+= lc>ec
        print(f"{path} t={t}: judged {len(R)}, replaced {rep}, right answers +{gain} -{loss}, unanswerable now abstained {ab}")
