"""Prompt probe (session 17): run `newsbot eval run` with the local answerer's prompt built as usual
but no model call (the model 'says' I don't know); prompt tokens counted with the model's tokenizer.
Env P (passages read) and F (focus sentences) set the variant."""
import os, sys
import bot.answer.generate as G
import bot.answer.llm_local as L
G.LOCAL_PASSAGES = int(os.environ.get('P', G.LOCAL_PASSAGES))
G.LOCAL_FOCUS = int(os.environ.get('F', G.LOCAL_FOCUS))
_tok = []
def warm_up(self):
    if not _tok:
        import llama_cpp
        _tok.append(llama_cpp.Llama(model_path=str(L.assemble_model(self.models_dir)), vocab_only=True, verbose=False))
def complete(self, messages, *, stream=False, usage=None):
    warm_up(self)
    text = "\n".join(m['content'] for m in messages)
    n = len(_tok[0].tokenize(text.encode(), add_bos=False))
    if usage is not None:
        usage.update(prompt_tokens=n, prompt_ms=1.0, generated_tokens=1, generation_ms=1.0)
    yield "I don't know."
L.LlamaCppBackend.warm_up = warm_up
L.LlamaCppBackend.complete = complete
from bot.cli import main
sys.exit(main(sys.argv[1:]))
