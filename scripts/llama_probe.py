"""Load the local GGUF with the installed llama_cpp and answer two questions: exit 0 when both are right.

Run it as its own process (scripts/build_llama.sh does after installing a build, and so does
tests/answer/test_llm_local.py): a llama.cpp build whose AMX kernels crash dies here by a signal
instead of inside the bot. A build that runs but computes wrongly fails here too: the second question
shares the first one's opening (the system message), which llama-cpp-python reuses from its cache, and
goes on with a passage of several hundred tokens, as the bot's prompts do. The patched AMX build of
session 13 answered the first question of a process right and wrote nonsense from the second on
(evals/reports/session13-llama-build/).

Usage: python scripts/llama_probe.py MODEL.gguf
"""

from __future__ import annotations

import os
import sys

SYSTEM = "Answer the question from the passage only, in one short sentence, citing it as [1]."
FILLER = (
    "The council said the works had stayed within their budget. Traffic on the ring road was lighter than "
    "expected during the closure, and buses ran on their usual routes. Local shops reported a quiet month. "
)
QUESTIONS = (
    (FILLER * 12 + "Xiaomi Corp is in talks with Beijing Automotive Group about building electric vehicles at "
     "the Beijing Hyundai No. 2 plant, which holds a licence to make cars in China. " + FILLER * 6,
     "Which carmaker is Xiaomi in talks with?", "Beijing Automotive"),
    (FILLER * 8 + "The Lindqvist Bridge reopened on Tuesday after eight months of repairs, and the mayor, "
     "Celia Marsh, cut the ribbon. " + FILLER * 4,
     "Who cut the ribbon when the Lindqvist Bridge reopened?", "Celia Marsh"),
)


def main(argv: list[str]) -> int:
    """Answer QUESTIONS with the model at argv[1] on two threads, one context; print the replies, fail
    (status 1) when one lacks its expected words."""
    if len(argv) != 2:
        print("usage: python scripts/llama_probe.py MODEL.gguf", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    llm = llama_cpp.Llama(model_path=argv[1], n_ctx=4096, n_threads=2, n_threads_batch=2, seed=0, verbose=False)
    for passage, question, expected in QUESTIONS:
        out = llm.create_chat_completion(messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Passage [1]: {passage}\nQuestion: {question}"},
        ], max_tokens=24, temperature=0.0)
        text = (out["choices"][0]["message"]["content"] or "").strip()
        print(text)
        if expected.lower() not in text.lower():
            print(f"llama_probe: asked {question!r}, the model answered {text!r} (expected {expected!r})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
