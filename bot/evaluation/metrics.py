"""Scores: SQuAD-style answer metrics, retrieval ranks, citations, abstention and latency.

One set of functions scores every system in a run: our pipeline, the naive pipeline and the
dataset's baseline prediction files.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_CONTAINS_WORDS = 50
MAX_TEMPORAL_WORDS = 150  # a temporal answer may list several dated, cited values  # longer answers cannot earn gold-contained-in-answer
RANK_DEPTH = 10  # answer-recall@k and MRR look this deep

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | set("‘’“”–—…«»")
_MARKER = re.compile(r"\s*\[(\d+)\]")


def normalize(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, collapsed spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def strip_markers(text: str) -> str:
    """The answer without its [n] citation markers."""
    return _MARKER.sub("", text).strip()


def markers(text: str) -> list[int]:
    """The citation numbers [n] an answer text uses, in order."""
    return [int(m) for m in _MARKER.findall(text)]


def word_count(text: str) -> int:
    """Words of an answer, citation markers excluded."""
    return len(strip_markers(text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer."""
    pred = normalize(strip_markers(prediction))
    return float(any(pred == normalize(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """Best token-overlap F1 of the prediction against any gold answer."""
    pred = normalize(strip_markers(prediction)).split()
    best = 0.0
    for gold in golds:
        ref = normalize(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if not pred or not ref or common == 0:
            continue
        precision, recall = common / len(pred), common / len(ref)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_text(text: str, golds: Sequence[str]) -> bool:
    """True when a normalised gold answer occurs in the normalised text as whole words."""
    haystack = f" {normalize(text)} "
    return any((g := normalize(gold)) and f" {g} " in haystack for gold in golds)


def contains(prediction: str, golds: Sequence[str], max_words: int = MAX_CONTAINS_WORDS) -> float:
    """Gold-contained-in-answer, counted only for answers of at most `max_words` words.

    A yes/no gold ("Yes", "no", "True") is met by the answer's verdict, the first yes, no, true or false it
    says: "Yes: “... no longer ...” [1]" does not contain the gold "No".
    """
    if word_count(prediction) > max_words:
        return 0.0
    text = strip_markers(prediction)
    wanted = {normalize(g) for g in golds}
    if wanted and wanted <= _VERDICTS:
        verdict = next((w for w in normalize(text).split() if w in _VERDICTS), None)
        return float(verdict in wanted)
    return float(contains_text(text, golds))


_VERDICTS = frozenset({"yes", "no", "true", "false"})


def answer_scores(
    prediction: str, abstained: bool, golds: Sequence[str], answerable: bool
) -> dict[str, Any]:
    """EM, F1 and contains of one answer; abstaining scores 0; None on unanswerable questions."""
    words = 0 if abstained else word_count(prediction)
    if not answerable:
        return {"em": None, "f1": None, "contains": None, "words": words}
    if abstained:
        return {"em": 0.0, "f1": 0.0, "contains": 0.0, "words": words}
    return {
        "em": exact_match(prediction, golds),
        "f1": token_f1(prediction, golds),
        "contains": contains(prediction, golds),
        "words": words,
    }


def first_rank(texts: Sequence[str], golds: Sequence[str], depth: int = RANK_DEPTH) -> int | None:
    """1-based rank of the first text (of the top `depth`) that contains a gold answer."""
    for rank, text in enumerate(texts[:depth], start=1):
        if contains_text(text, golds):
            return rank
    return None


def recall_at(rank: int | None, k: int) -> float:
    """1.0 when the first answer-bearing rank is within the top k."""
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None, depth: int = RANK_DEPTH) -> float:
    """1/rank within the top `depth`, else 0."""
    return 1.0 / rank if rank is not None and rank <= depth else 0.0


def evidence_hit(passages: Sequence[Mapping[str, Any]], evidence: Sequence[str]) -> bool:
    """True when a passage is an evidence article (url, id or path) or holds an evidence quote."""
    if not evidence:
        return False
    ids = {e.strip().rstrip("/") for e in evidence}
    quotes = [normalize(e) for e in evidence]
    for passage in passages:
        keys = {str(passage.get(k) or "").rstrip("/") for k in ("url", "article_id", "path")}
        if ids & (keys - {""}):
            return True
        text = f" {normalize(str(passage.get('text') or ''))} "
        if any(q and (f" {q} " in text or (len(text) > 40 and text.strip() in q)) for q in quotes):
            return True
    return False


def citation_hits(
    cited_texts: Sequence[str], golds: Sequence[str], evidence: Sequence[str]
) -> int:
    """How many cited passages contain the gold answer or an evidence quote."""
    return sum(contains_text(t, list(golds) + list(evidence)) for t in cited_texts)


def resolved(answer: str, citation_numbers: Iterable[int]) -> bool:
    """True when the answer cites something and every [n] names a listed citation."""
    used = markers(answer)
    listed = set(citation_numbers)
    return bool(used) and all(n in listed for n in used)


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default."""
    kept = sorted(v for v in values if v is not None)
    if not kept:
        return None
    pos = (len(kept) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return kept[lo] + (kept[hi] - kept[lo]) * (pos - lo)


def share(hits: int, total: int) -> float | None:
    """hits/total, None when total is 0."""
    return hits / total if total else None


def abstention(records: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Precision and recall of abstaining, with unanswerable questions as the positives."""
    unanswerable = [r for r in records if not r["answerable"]]
    abstained = [r for r in records if r["abstained"]]
    if not unanswerable:
        return {"precision": None, "recall": None}
    right = sum(1 for r in abstained if not r["answerable"])
    return {"precision": share(right, len(abstained)), "recall": share(right, len(unanswerable))}


def answer_summary(records: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Mean EM, F1 and contains over answerable questions (abstentions count as 0)."""
    scored = [r["scores"] for r in records if r["answerable"]]
    return {k: mean(s[k] for s in scored) for k in ("em", "f1", "contains")}


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def summarize(records: Sequence[Mapping[str, Any]], *, retrieval: bool, citations: bool) -> dict[str, Any]:
    """Aggregate per-question records into the metric sections of report.json."""
    answerable = [r for r in records if r["answerable"]]
    scores = [r["scores"] for r in answerable]
    answered = [r for r in records if not r["abstained"]]
    out: dict[str, Any] = {
        "answer": answer_summary(records),
        "retrieval": {"answer_recall@1": None, "answer_recall@4": None,
                      "answer_recall@10": None, "mrr@10": None},
        "citations": {"precision": None, "resolved": None},
        "abstention": abstention(records),
    }
    if retrieval and answerable:
        ranks = [s.get("rank") for s in scores]
        for k in (1, 4, 10):
            out["retrieval"][f"answer_recall@{k}"] = mean(recall_at(r, k) for r in ranks)
        out["retrieval"]["mrr@10"] = mean(reciprocal_rank(r) for r in ranks)
    if answered:
        out["citations"]["resolved"] = mean(float(r["scores"]["resolved"]) for r in answered)
    if citations:
        cited = [r for r in answerable if not r["abstained"]]
        total = sum(len(r["citations"]) for r in cited)
        out["citations"]["precision"] = share(sum(r["scores"]["citation_hits"] for r in cited), total)
    timings = [r.get("timings_ms") or {} for r in records]
    out["latency_ms"] = {
        f"{stage}_p{q}": percentile((t.get(stage) for t in timings), q)
        for stage in ("retrieve", "answer", "total")
        for q in (50, 95)
    }
    if any("first_content" in t for t in timings):  # a preliminary quoted answer came before the model's
        for q in (50, 95):
            out["latency_ms"][f"first_content_p{q}"] = percentile((t.get("first_content") for t in timings), q)
    with_evidence = [s for r, s in zip(answerable, scores) if r.get("evidence")]
    out["extra"] = {
        "answered": len(answered),
        "answerable": len(answerable),
        "mean_answer_words": mean(float(r["scores"]["words"]) for r in answered),
        "abstained_on_answerable": mean(float(r["abstained"]) for r in answerable),
        "evidence_hit_rate@10": (
            mean(float(s["evidence_hit"]) for s in with_evidence) if retrieval and with_evidence else None
        ),
    }
    out["extra"]["stages"] = stages(records)
    return _round(out)  # type: ignore[no-any-return]


def stages(records: Sequence[Mapping[str, Any]]) -> dict[str, float | None] | None:
    """Where the answerable questions' gold answer is lost, stage by stage, as shares of answerable
    questions (None when no answer weighed candidates or was written by a model).

    Among the candidate answers weighed (`candidate_recall`), ranked first by the evidence
    (`evidence@1`); for a model's answers, in the passages as the model read them (`model_read`), in
    what the model wrote (`model_wrote`), in the sentences the claim check kept (`check_kept`); in the
    answer given (`answer_contains`, which a fallback to the quote or a news rule may change).
    """
    answerable = [r for r in records if r["answerable"]]
    weighed = any(r.get("candidates") for r in records)
    read = any(r["scores"].get("model_read") is not None for r in answerable)
    if not answerable or not (weighed or read):
        return None
    out: dict[str, float | None] = {}
    if weighed:
        ranks = [r["scores"].get("candidate_rank") for r in answerable]
        out["candidate_recall"] = mean(float(k is not None) for k in ranks)
        out["evidence@1"] = mean(float(k == 1) for k in ranks)
    if read:
        for stage in ("model_read", "model_wrote", "check_kept"):
            out[stage] = mean(float(bool(r["scores"].get(stage))) for r in answerable)
    out["answer_contains"] = mean(float(r["scores"]["contains"]) for r in answerable)
    return out


def model_stages(read: str, verdicts: Sequence[Mapping[str, Any]], golds: Sequence[str]) -> dict[str, bool]:
    """Whether the gold text is in what a model read (`read`: its passages after the focus cut), in what it
    wrote (every sentence the claim check weighed, `verdicts`: {"sentence", "kept", ...}) and in the
    sentences the check kept. Whole-word matches of the normalised text (`contains_text`), no length cap."""
    return {
        "model_read": contains_text(read, golds),
        "model_wrote": contains_text(" ".join(str(v.get("sentence", "")) for v in verdicts), golds),
        "check_kept": contains_text(" ".join(str(v.get("sentence", "")) for v in verdicts if v.get("kept")), golds),
    }


def round4(value: Any) -> Any:
    """Round floats (also inside dicts) to 4 places for reports."""
    return _round(value)


# --- the temporal set (evals/temporal.jsonl) ----------------------------------------------------

_FLAG = re.compile(r"\b(disagree\w*|conflict\w*|contradict\w*|differ(?:s|ing)?|inconsistent)\b", re.IGNORECASE)
_DAY_TEXT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b",
    re.IGNORECASE,
)


def mentions(text: str, gold: str) -> bool:
    """True when a text states a gold value: amounts by value and unit (bot.numbers), other words as
    whole words. Dates in the text ("As of 4 March 2025") are not amounts of anything."""
    from bot.numbers import amounts, found, number_tokens

    wanted = [a.token for a in amounts(gold)]
    if not wanted:
        return contains_text(text, [gold])
    if not re.search(r"\d", gold) or _DAY_TEXT.search(gold):
        if contains_text(text, [gold]):
            return True
    have = set(number_tokens(_DAY_TEXT.sub(" ", text)))
    return all(found(t, have) for t in wanted)


def flags_disagreement(text: str) -> bool:
    """True when an answer says its sources disagree."""
    return bool(_FLAG.search(text))


def temporal_scores(
    answer: str,
    abstained: bool,
    golds: Sequence[str],
    expect: Any,
    citations: Sequence[tuple[str | None, str]],
) -> dict[str, Any]:
    """One temporal question's scores (None where the question does not test that part).

    accuracy: the answer states a gold alias (every alias, for a disagreement: both sides); newest / older: it states the newest value, it mentions the earlier one;
    flagged: it says the sources disagree; list recall: share of the items named; list precision:
    share of the citations whose quote names an item; dates: share of the expected publish dates
    among the citations' dates.
    """
    text = "" if abstained or word_count(answer) > MAX_TEMPORAL_WORDS else strip_markers(answer)
    said = (lambda gold: bool(text) and mentions(text, gold))
    items_found = [any(said(alias) for alias in item) for item in expect.items]
    list_recall = sum(items_found) / len(items_found) if items_found else None
    list_precision = None
    if expect.items and citations:
        named = [any(mentions(quote, alias) for item in expect.items for alias in item) for _, quote in citations]
        list_precision = sum(named) / len(named)
    elif expect.items:
        list_precision = 0.0 if text else None
    if expect.disagree:
        correct = all(said(g) for g in golds)
    else:
        correct = any(said(g) for g in golds)
    cited_dates = {d for d, _ in citations if d}
    return {
        "accuracy": float(correct),
        "newest": float(any(said(g) for g in expect.newest)) if expect.newest else None,
        "older": float(any(said(g) for g in expect.older)) if expect.older else None,
        "disagree": expect.disagree,
        "flagged": bool(text) and flags_disagreement(text),
        "list_recall": list_recall,
        "list_precision": list_precision,
        "dates": (sum(1 for d in set(expect.dates) if d in cited_dates) / len(set(expect.dates))
                  if expect.dates else None),
    }


def temporal_summary(records: Sequence[Mapping[str, Any]]) -> dict[str, float | None] | None:
    """The report's `temporal` section: means of the per-question temporal scores (None: not a temporal set)."""
    scored = [r["scores"]["temporal"] for r in records if r["scores"].get("temporal")]
    if not scored:
        return None
    flagged = [s for s in scored if s["flagged"]]
    must = [s for s in scored if s["disagree"]]
    return _round({  # type: ignore[no-any-return]
        "n": len(scored),
        "accuracy": mean(s["accuracy"] for s in scored),
        "newest_given": mean(s["newest"] for s in scored),
        "older_mentioned": mean(s["older"] for s in scored),
        "disagreement_recall": share(sum(1 for s in must if s["flagged"]), len(must)),
        "disagreement_precision": share(sum(1 for s in flagged if s["disagree"]), len(flagged)) if must else None,
        "list_recall": mean(s["list_recall"] for s in scored),
        "list_precision": mean(s["list_precision"] for s in scored),
        "citation_dates": mean(s["dates"] for s in scored),
    })
