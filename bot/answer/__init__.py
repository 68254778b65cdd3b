"""The answer stage: the extractive answerer (extractive), the one prompt (prompting), the generative
answerer (generate) and its claim check (check), and the model backends (llm_local, llm_chat)."""
