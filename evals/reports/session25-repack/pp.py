"""Prompt reading and generation speed of the local model through llama-cpp-python (as newsbot loads it)."""
import json, os, sys, time
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import llama_cpp
model, text_path, n_prompt = sys.argv[1], sys.argv[2], int(sys.argv[3])
if os.environ.get("NOREPACK"):
    import llama_cpp.llama_cpp as low
    _orig = low.llama_model_default_params
    def _p():
        p = _orig(); p.use_extra_bufts = False; return p
    low.llama_model_default_params = _p
llm = llama_cpp.Llama(model_path=model, n_ctx=4096, n_threads=2, n_threads_batch=2, seed=0, verbose=False)
toks = llm.tokenize(open(text_path, errors="ignore").read().encode())
toks = (toks * 4)[:n_prompt]
res = []
for rep in range(3):
    llm.reset()
    t = time.perf_counter(); llm.eval(toks); pp = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(16):
        tok = llm.sample(temp=0.0); llm.eval([tok])
    tg = time.perf_counter() - t
    res.append((len(toks) / pp, 16 / tg))
print(json.dumps({"engine": "llama-cpp-python " + llama_cpp.__version__ + (" norepack" if os.environ.get("NOREPACK") else ""), "system": llama_cpp.llama_print_system_info().decode(),
                  "pp_tok_s": [round(a, 1) for a, b in res], "tg_tok_s": [round(b, 1) for a, b in res]}))
