"""Slack burst benchmark: 30 @mentions sent at once to the real served bot, against a local fake Slack.

Measures, for the burst, the acknowledgement latency (HTTP response to Slack's POST), the time to
first content (from sending the event to the first thing the asker sees in the thread that is more
than a status: a streamed answer's start, which carries the preliminary answer, or the posted
answer) and the time to reply (to the final answer: chat.postMessage, or for a streamed answer the
chat.update that puts the final answer in place of what was streamed, or its chat.stopStream), with
the real pipeline (real Chroma, real embedding model) over the shipped corpus. Every event is also
retried once (as Slack does when an ack is slow) to check that no question is answered twice.

    .venv/bin/python evals/bench_slack.py [--events 30] [--workers 4] [--answerer extractive|local|llm]
        [--llm openai:MODEL --llm-base-url URL] [--out evals/reports/bench_slack.json]

With `--answerer local` the workers share one warm local model (questions wait their turn for it):
the figures to read are answers per minute, the last reply's wait, whether replies came in the order
the bot admitted the questions (its answer queue's tickets, recorded as they are taken: the senders'
own clocks, microseconds apart in ten threads, cannot tell that order), and the process's peak
memory. Its answers are streamed into their threads: `first_content_ms` is then the time to the
preliminary answer (the articles being read and the quoted answer, chat.startStream),
`model_words_ms` to the model's first checked sentence (the first chat.appendStream), `reply_ms` to
the final answer with sources and buttons (`--answerer llm` with an OpenAI-compatible server streams
the same way). Only the model's part waits its turn: a question's preliminary answer is made and
streamed as soon as the bot takes it, so the first content does not wait for the questions ahead.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the fake Slack lives with the tests

from slack_fake import Call, FakeSlack, burst, event_body, mention, post_event  # noqa: E402

from bot.pipeline import Pipeline  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import HttpServer, build_bot  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
QUESTIONS = (
    "Who is Xiaomi talking to?",
    "What would Xiaomi buy?",
    "When does Xiaomi want to mass-produce?",
    "What is BAIC?",
    "Who reported the talks?",
)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds."""
    return {
        "p50": round(percentile(values, 50) * 1000, 1),
        "p95": round(percentile(values, 95) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


def final_messages(fake: FakeSlack) -> list[Call]:
    """Each answer's final message as a call carrying its thread_ts: chat.postMessage, or for a
    streamed answer the chat.update that replaced what was streamed (else the chat.stopStream that
    closed it), its thread read from the stream's start."""
    threads = {str(c.response.get("ts")): c.params.get("thread_ts") for c in fake.calls_to("chat.startStream")}
    updated = {str(c.params.get("ts")): c for c in fake.calls if c.method == "chat.update" and c.response.get("ok")}
    out: list[Call] = []
    for call in fake.calls:
        if not call.response.get("ok"):
            continue
        if call.method == "chat.postMessage":
            out.append(call)
        elif call.method == "chat.stopStream":
            ts = str(call.params.get("ts"))
            final = updated.get(ts, call)
            out.append(Call(final.method, {**final.params, "thread_ts": threads.get(ts)},
                            final.token, max(final.at, call.at), final.status, final.response))
    return out


def first_content(fake: FakeSlack) -> dict[str, float]:
    """Thread ts -> when its asker first saw content that is more than a status: the streamed
    answer's start (the preliminary answer) or a posted answer, whichever came first."""
    firsts: dict[str, float] = {}
    for call in fake.calls_to("chat.startStream") + [c for c in final_messages(fake) if c.method == "chat.postMessage"]:
        if call.response.get("ok"):
            ts = str(call.params.get("thread_ts"))
            firsts[ts] = min(firsts.get(ts, call.at), call.at)
    return firsts


def model_words(fake: FakeSlack) -> dict[str, float]:
    """Thread ts -> when the model's first checked sentence reached its streamed message (chat.appendStream)."""
    threads = {str(c.response.get("ts")): str(c.params.get("thread_ts")) for c in fake.calls_to("chat.startStream")}
    firsts: dict[str, float] = {}
    for call in fake.calls_to("chat.appendStream"):
        thread = threads.get(str(call.params.get("ts")))
        if call.response.get("ok") and thread is not None:
            firsts.setdefault(thread, call.at)
    return firsts


def record_admissions(bot: Any) -> dict[str, int]:
    """Thread ts -> answer-queue ticket, for each question the bot admits from now on.

    Wraps the bot's `submit` and its queue's `take`: the ticket is the order the bot took the
    question in, which is the order a first-come-first-served queue must answer in.
    """
    admitted: dict[str, int] = {}
    current = threading.local()
    submit, take = bot.submit, bot.queue.take

    def submitting(question: Any) -> bool:
        current.ts = question.thread_ts
        return bool(submit(question))

    def taking() -> int:
        ticket = int(take())
        admitted[str(current.ts)] = ticket
        return ticket

    bot.submit, bot.queue.take = submitting, taking
    return admitted


def run(events: int, workers: int, corpus: Path, answerer: str = "extractive", *,
        llm: str | None = None, llm_base_url: str | None = None) -> dict[str, Any]:
    """Ingest, serve, send the burst; the measurements."""
    data = Path(tempfile.mkdtemp(prefix="bench-slack-"))
    # NEWSBOT_LLAMA_REPACK as the bot reads it (a fresh data dir holds no probe record: auto loads repacked)
    index = Settings(data_dir=data / "index", corpus_dir=corpus, answerer=answerer, llm=llm, llm_base_url=llm_base_url,
                     llama_repack=os.environ.get("NEWSBOT_LLAMA_REPACK", "").strip() or "auto")
    index.validate()
    pipeline = Pipeline(index)
    started = time.perf_counter()
    report = pipeline.ingest([corpus])
    pipeline.warm_up()
    warm_answerer = getattr(pipeline.answerer, "warm_up", None)
    if callable(warm_answerer):
        warm_answerer()
    setup_s = time.perf_counter() - started
    with FakeSlack(bot_token=TOKEN) as fake:
        settings = Settings(
            data_dir=data / "bot", slack_bot_token=TOKEN, slack_signing_secret=SECRET,
            slack_api_url=fake.api_url, slack_workers=workers,
        )
        bot = build_bot(settings, pipeline)
        admitted = record_admissions(bot)
        bot.start()
        server = HttpServer(bot, "127.0.0.1", 0).start()
        url = server.url + "/slack/events"
        try:
            bodies = [event_body(mention(QUESTIONS[i % len(QUESTIONS)], user=f"UB{i:03d}")) for i in range(events)]
            warm = [event_body(mention(QUESTIONS[i % len(QUESTIONS)], user=f"UWARM{i}")) for i in range(2 * workers)]
            # the sender runs in its own process, as Slack's servers do: its work must not slow the bot
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                # a few questions first (every worker's first use, auth.test, the child's imports), off the clock
                pool.apply(burst, (url, SECRET, warm, False))
                deadline = time.monotonic() + 900
                while len(final_messages(fake)) < len(warm):
                    assert time.monotonic() < deadline, "the warm-up questions were not answered"
                    time.sleep(0.2)
                assert bot.wait_idle(120)
                fake.reset()
                admitted.clear()
                burst_start = time.time()
                sent_log = pool.apply(burst, (url, SECRET, bodies))
            sent = {r["ts"]: r["at"] for r in sent_log}
            acks = [(r["status"], r["elapsed"]) for r in sent_log]
            retry_status = [r["retry_status"] for r in sent_log]
            deadline = time.monotonic() + 1800
            while len(final_messages(fake)) < events:
                assert time.monotonic() < deadline, "the burst was not answered within 30 minutes"
                time.sleep(0.2)
            assert bot.wait_idle(600)
            burst_s = time.time() - burst_start
            replies = final_messages(fake)
            firsts, words = first_content(fake), model_words(fake)
            first_content_s = [firsts[ts] - sent[ts] for ts in sent if ts in firsts]
            model_words_s = [words[ts] - sent[ts] for ts in sent if ts in words]
            streamed = sum(1 for c in fake.calls_to("chat.startStream") if c.response.get("ok"))
            per_thread: dict[str, int] = {}
            reply_s: list[float] = []
            for call in replies:
                ts = call.params.get("thread_ts")
                per_thread[ts] = per_thread.get(ts, 0) + 1
                if ts in sent and per_thread[ts] == 1:
                    reply_s.append(call.at - sent[ts])
            answered_once = sum(1 for ts in sent if per_thread.get(ts) == 1)
            first_reply = {}
            for call in replies:
                first_reply.setdefault(call.params.get("thread_ts"), call.at)
            admit_order = sorted((ts for ts in admitted if ts in sent), key=lambda ts: admitted[ts])
            reply_order = sorted((ts for ts in admit_order if ts in first_reply), key=lambda ts: first_reply[ts])
            out_of_order = sum(1 for a, b in zip(admit_order, reply_order) if a != b)
            capacity = bot.queue.capacity
        finally:
            server.shutdown()
            bot.close()
    ack_s = [e for _, e in acks]
    return {
        "benchmark": "slack-burst",
        "events": events,
        "workers": workers,
        "answerer": answerer,
        "corpus": str(corpus),
        "articles": report.added + report.unchanged,
        "setup_s": round(setup_s, 1),
        "ack_ms": summary(ack_s),
        "reply_ms": summary(reply_s),
        "first_content_ms": summary(first_content_s),
        "model_words_ms": summary(model_words_s) if model_words_s else None,
        "streamed": streamed,
        "server": "uvicorn",
        "burst_s": round(burst_s, 2),
        "acked_200": sum(1 for s, _ in acks if s == 200),
        "acked_under_3s": sum(1 for e in ack_s if e < 3.0),
        "retries_acked_200": sum(1 for s in retry_status if s == 200),
        "replies": len(replies),
        "answered_exactly_once": answered_once,
        "answers_per_minute": round(len(reply_s) / burst_s * 60, 1) if burst_s else None,
        "last_reply_wait_s": round(max(reply_s), 1) if reply_s else None,
        "admitted": len(admit_order),
        "answered_at_once": capacity,
        "replies_out_of_admission_order": out_of_order,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews every figure
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write JSON, print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--workers", type=int, default=Settings().slack_workers)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--answerer", choices=("extractive", "local", "llm"), default="extractive")
    parser.add_argument("--llm", help="with --answerer llm: the chat model, provider:model (NEWSBOT_LLM)")
    parser.add_argument("--llm-base-url", help="with --answerer llm: an OpenAI-compatible server (NEWSBOT_LLM_BASE_URL)")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "reports" / "bench_slack.json")
    args = parser.parse_args(argv)
    result = run(args.events, args.workers, args.corpus, args.answerer, llm=args.llm, llm_base_url=args.llm_base_url)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    rows = [
        ("events sent at once", f"{result['events']} (+{result['events']} retries)"),
        ("answer workers", str(result["workers"])),
        ("ack p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**result["ack_ms"])),
        ("reply p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**result["reply_ms"])),
        ("time to first content p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**result["first_content_ms"])),
        ("model's first words p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**result["model_words_ms"])
         if result["model_words_ms"] else "not streamed"),
        ("acked 200 in < 3 s", f"{result['acked_under_3s']}/{result['events']}"),
        ("answered exactly once", f"{result['answered_exactly_once']}/{result['events']} ({result['replies']} replies)"),
        ("whole burst", f"{result['burst_s']} s"),
        ("answers per minute", str(result["answers_per_minute"])),
        ("last reply's wait", f"{result['last_reply_wait_s']} s"),
        ("replies out of admission order", f"{result['replies_out_of_admission_order']} of {result['admitted']} "
         f"admitted ({result['answered_at_once']} answered at a time)"),
        ("peak memory", f"{result['peak_rss_mb']} MB"),
        ("machine", f"{result['machine']['cpus']} CPUs, load average {result['machine']['load_avg_1m']}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"wrote {args.out}")
    ok = result["acked_under_3s"] == result["events"] and result["answered_exactly_once"] == result["events"]
    if result["answered_at_once"] == 1:  # one at a time (one local model): first come, first answered
        ok = ok and result["replies_out_of_admission_order"] == 0 and result["admitted"] == result["events"]
    return 0 if ok and result["replies"] == result["events"] else 1


if __name__ == "__main__":
    sys.exit(main())
