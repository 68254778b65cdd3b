"""Ask compound questions over the shipped article and check that each part's answer is in the reply.

Usage: PYTHONPATH=TREE NEWSBOT_DATA_DIR=DATA python compound.py ANSWERER OUT.jsonl
(DATA: a data dir with corpus/ ingested; TREE: the checkout whose bot/ answers). Each line of OUT: the
question, the answer, which parts' gold strings it contains, check.parts, and the model's prompt tokens.
The questions were written for this report from the article (session 21), one gold list per part.
"""
import json
import sys
import time
from pathlib import Path

from bot.pipeline import Pipeline
from bot.settings import Settings

QUESTIONS = [
    ("Which plant could Xiaomi buy a stake in, and why does it matter?", [["Beijing Hyundai No. 2"], ["licence"]]),
    ("How much did BAIC Motor's shares rise, and why were BAIC BluePark's shares halted?", [["30.5%"], ["10%"]]),
    ("When was Chery established, and where is it based?", [["1997"], ["Anhui"]]),
    ("Who is Xiaomi in talks with, and when does it plan to mass-produce cars?", [["Beijing Automotive"], ["2024"]]),
    ("What market share did BYD have, and who published the figures?", [["27.9%"], ["EV Volumes"]]),
    ("Where is Xiaomi building its first car factory, and when did it start building it?", [["Beijing"], ["earlier this year"]]),
    ("Which organisation called China's EV market the largest in the world, and how much was the market worth in 2021?",
     [["World Economic Forum"], ["124.2 billion"]]),
    ("Who owns Beijing Hyundai, and how many factories does it operate?", [["Hyundai Motor", "BAIC"], ["three"]]),
]

answerer, out = sys.argv[1], Path(sys.argv[2])
pipeline = Pipeline(Settings.from_env(answerer=answerer))
pipeline.warm_up()  # the model loaded before the first question is timed
with out.open("w") as f:
    for question, golds in QUESTIONS:
        start = time.monotonic()
        answer = pipeline.ask(question)
        seconds = time.monotonic() - start
        text = answer.text.lower()
        found = [any(g.lower() in text for g in gold) for gold in golds]
        check = answer.check or {}
        row = {"question": question, "answer": answer.text, "parts_found": found, "both": all(found),
               "parts": check.get("parts"), "fallback": check.get("fallback"),
               "prompt_tokens": (check.get("model") or {}).get("prompt_tokens"), "seconds": round(seconds, 1)}
        f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)
