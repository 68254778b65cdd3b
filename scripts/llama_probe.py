"""Load the local GGUF with the installed llama_cpp and complete a few tokens: exit 0 and print the text.

Run it as its own process (scripts/build_llama.sh does after installing a build, and so does
tests/answer/test_llm_local.py): a llama.cpp build whose AMX kernels crash dies here by a signal,
at the first prompt of more than one token, instead of inside the bot.

Usage: python scripts/llama_probe.py MODEL.gguf
"""

from __future__ import annotations

import os
import sys

PROMPT = (
    "Passage [1]: Xiaomi Corp is in talks with Beijing Automotive Group about building electric vehicles "
    "at the Beijing Hyundai No. 2 plant, which holds a licence to make cars in China.\n"
    "Question: Which carmaker is Xiaomi in talks with? Answer in one sentence, citing [1]."
)


def main(argv: list[str]) -> int:
    """Complete PROMPT with the model at argv[1] on two threads; print the reply, fail when it is empty."""
    if len(argv) != 2:
        print("usage: python scripts/llama_probe.py MODEL.gguf", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    llm = llama_cpp.Llama(model_path=argv[1], n_ctx=512, n_threads=2, n_threads_batch=2, seed=0, verbose=False)
    out = llm.create_chat_completion(messages=[{"role": "user", "content": PROMPT}], max_tokens=8, temperature=0.0)
    text = (out["choices"][0]["message"]["content"] or "").strip()
    print(text)
    if not text:
        print("llama_probe: the model returned no text", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
