"""The local model as a yes/no judge, for judge2.py and judge_pairs.py (offline experiments).

`yes_score(system, user)` -> (log P(yes) - log P(no) of the reply's first token, prompt tokens read),
the matching prefix of the previous prompt reused. `JSYS=answer` picks the answering system prompt
(bot/answer/prompting.py) instead of the judge's own one-line one.
"""
import os
import sys

import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

sys.path.insert(0, "/work/main")
from bot.answer.prompting import SYSTEM_PROMPT  # noqa: E402

MODEL = "/tmp/s18/sets-data-after/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SYS = SYSTEM_PROMPT if os.environ.get("JSYS") == "answer" else (
    "You check whether a sentence from a news article answers a question. Reply yes or no.")

llm = llama_cpp.Llama(model_path=MODEL, n_ctx=2048, n_threads=2, n_threads_batch=2, verbose=False)
fmt = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"],
                          eos_token=llm._model.token_get_text(llm.token_eos()), bos_token="")
YES = [llm.tokenize(w.encode(), add_bos=False)[0] for w in ("Yes", "yes", " Yes")]
NO = [llm.tokenize(w.encode(), add_bos=False)[0] for w in ("No", "no", " No")]


def toks(msgs):
    r = fmt(messages=msgs)
    return list(llm.tokenize(r.prompt.encode(), add_bos=not r.added_special, special=True))


def yes_score(system, user):
    t = toks([{"role": "system", "content": system}, {"role": "user", "content": user}])
    k = 0  # reuse the matching prefix
    ids = llm.input_ids[: llm.n_tokens].tolist()
    while k < min(len(ids), len(t) - 1) and ids[k] == t[k]:
        k += 1
    llm.n_tokens = k
    llm.eval(t[k:])
    lg = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm._n_vocab,)).astype(np.float64)
    lg = lg - lg.max(); p = np.exp(lg); p /= p.sum()
    y, n = p[YES].sum(), p[NO].sum()
    return float(np.log(y + 1e-9) - np.log(n + 1e-9)), len(t) - k
