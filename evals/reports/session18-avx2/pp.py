"""Prompt-processing and generation speed of the local model under llama.cpp options (one process per option set)."""
import json, sys, time, os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import llama_cpp
model = sys.argv[1]
opts = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
text = open("/work/main/corpus/" + sorted(os.listdir("/work/main/corpus"))[0]).read() if False else None
import glob
files = ["/tmp/s18/text.txt"]
text = open(files[0], errors="ignore").read()
llm = llama_cpp.Llama(model_path=model, n_ctx=4096, n_threads=2, n_threads_batch=2, seed=0, verbose=False, **opts)
toks = llm.tokenize(text.encode())[:900]
res = []
for rep in range(2):
    llm.reset()
    ctx = llm._ctx.ctx
    llama_cpp.llama_perf_context_reset(ctx)
    t = time.time()
    llm.eval(toks)
    pp = time.time() - t
    t = time.time()
    out = []
    for i in range(16):
        tok = llm.sample(temp=0.0)
        out.append(tok)
        llm.eval([tok])
    tg = time.time() - t
    res.append((len(toks) / pp, 16 / tg))
print(json.dumps({"opts": opts, "pp_tok_s": [round(a, 1) for a, b in res], "tg_tok_s": [round(b, 1) for a, b in res]}))
