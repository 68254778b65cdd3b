"""Question sets the harness reads: our JSONL format, RealTime QA, MultiHop-RAG evidence and RGB."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from bot.errors import ReadError
from bot.schema import Article, Passage, parse_date

FORMATS = ("jsonl", "temporal", "realtimeqa", "multihop", "rgb")
TEMPORAL_KEYS = ("newest", "older", "disagree", "items", "dates")  # a JSONL record with any of them is a temporal set
MULTIHOP_NULL = "insufficient information."
RGB_NEGATIVES = 2  # noise passages added beside RGB's true and counterfactual ones
POOL_VERSION = "2"  # bump when pooling changes, so cached indexes are rebuilt


@dataclass(frozen=True)
class Turn:
    """One question of a case, with the answers accepted for it."""

    question: str
    answers: tuple[str, ...] = ()
    answerable: bool = True
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalCase:
    """A question (or a conversation of several turns) to ask, with what counts as right."""

    id: str
    turns: tuple[Turn, ...]
    as_of: dt.date | None = None
    passages: tuple[Passage, ...] = ()
    fake_answers: tuple[str, ...] = ()
    group: str | None = None
    expect: Expect | None = None

    @property
    def question(self) -> str:
        """The first (or only) question."""
        return self.turns[0].question


@dataclass(frozen=True)
class Expect:
    """What a temporal question's answer must hold besides its answer (evals/temporal.jsonl)."""

    newest: tuple[str, ...] = ()  # aliases of the newest value (as of the question's date)
    older: tuple[str, ...] = ()  # aliases of an earlier value the answer should mention as earlier
    disagree: bool = False  # outlets of about the same date disagree: the answer must say so
    items: tuple[tuple[str, ...], ...] = ()  # list / timeline items, each with its aliases
    dates: tuple[str, ...] = ()  # publish dates the citations should include


@dataclass
class Dataset:
    """A loaded question set: its cases, baseline predictions and (for RealTime QA) article files."""

    name: str
    format: str
    path: Path
    cases: list[EvalCase]
    baselines: dict[str, dict[str, str]] = field(default_factory=dict)
    article_files: tuple[Path, ...] = ()

    @property
    def given_passages(self) -> bool:
        """True when the answerer is handed passages instead of retrieving them."""
        return self.format in ("multihop", "rgb")

    def articles(self) -> list[Article]:
        """The dataset's own corpus (RealTime QA: all unique articles pooled by url; temporal: its folder)."""
        if self.format == "temporal":
            from bot.readers import read_articles

            return [a for a in read_articles(list(self.article_files)) if isinstance(a, Article)]
        if self.format != "realtimeqa":
            return []
        return pool_realtimeqa_articles(self.article_files)

    @property
    def own_corpus(self) -> bool:
        """True when the dataset ships its articles (asked against an index of those alone)."""
        return self.format in ("realtimeqa", "temporal")

    def corpus_hash(self) -> str:
        """Hash of the dataset's article files: the key of its cached index."""
        digest = hashlib.sha256(POOL_VERSION.encode())
        for path in self.article_files:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:12]


def detect_format(path: Path) -> str:
    """Guess a dataset's format from its path; ReadError when nothing fits."""
    if path.is_dir():
        if (path / "questions").is_dir() and (path / "articles").is_dir():
            return "realtimeqa"
        if _first(path, "queries.json") and _first(path, "ground_truth.json"):
            return "multihop"
        if _rgb_file(path) is not None:
            return "rgb"
        raise ReadError(
            f"{path}: cannot tell the dataset format (expected questions/ and articles/, "
            "queries.json + ground_truth.json, or *_fact.jsonl); pass --format"
        )
    if not path.exists():
        raise ReadError(f"{path}: no such file or folder")
    name = path.name.removesuffix(".gz")
    if name.endswith(".jsonl"):
        with _open(path) as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line) if line.lstrip().startswith("{") else {}
                    if "positive_wrong" in record:
                        return "rgb"
                    return "temporal" if any(k in record for k in TEMPORAL_KEYS) else "jsonl"
        return "jsonl"
    raise ReadError(f"{path}: cannot tell the dataset format from the name; pass --format")


def load_dataset(path: Path, fmt: str = "auto", limit: int | None = None, sample: int | None = None) -> Dataset:
    """Load a dataset in any supported format; `limit` keeps the first N cases, `sample` N cases
    spread evenly over the whole set (every len/N-th, so every week and outlet is represented)."""
    path = Path(path)
    if fmt == "auto":
        fmt = detect_format(path)
    loaders: dict[str, Callable[[Path], Dataset]] = {
        "jsonl": load_jsonl,
        "temporal": load_temporal,
        "realtimeqa": load_realtimeqa,
        "multihop": load_multihop,
        "rgb": load_rgb,
    }
    if fmt not in loaders:
        raise ReadError(f"unknown dataset format {fmt!r}; valid: auto, {', '.join(FORMATS)}")
    dataset = loaders[fmt](path)
    if sample is not None and sample < len(dataset.cases):
        n = len(dataset.cases)
        dataset.cases = [dataset.cases[i * n // sample] for i in range(sample)]
    if limit is not None:
        dataset.cases = dataset.cases[:limit]
    return dataset


# --- our own JSONL format ---------------------------------------------------------------------


def load_jsonl(path: Path, temporal: bool = False) -> Dataset:
    """Read the project's JSONL question format (see evals/README.md)."""
    cases: list[EvalCase] = []
    seen: set[str] = set()
    with _open(path) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReadError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            case = _jsonl_case(record, path, number, temporal)
            if case.id in seen:
                raise ReadError(f"{path}:{number}: duplicate id {case.id!r}")
            seen.add(case.id)
            cases.append(case)
    if not cases:
        raise ReadError(f"{path}: no questions in the file")
    return Dataset(name=_stem(path), format="jsonl", path=path, cases=cases)


def _jsonl_case(record: Any, path: Path, number: int, temporal: bool = False) -> EvalCase:
    where = f"{path}:{number}"
    if not isinstance(record, dict):
        raise ReadError(f"{where}: each line must be a JSON object")
    case_id = str(record.get("id") or f"L{number}")
    as_of = None
    if record.get("as_of") is not None:
        as_of = _date(record["as_of"])
        if as_of is None:
            raise ReadError(f"{where}: as_of {record['as_of']!r} is not a YYYY-MM-DD date")
    expect = _expect(record, where) if temporal else None
    if "turns" in record:
        raw_turns = record["turns"]
        if not isinstance(raw_turns, list) or not raw_turns:
            raise ReadError(f"{where}: turns must be a non-empty list of {{question, answers}}")
        turns = tuple(_jsonl_turn(t, f"{where} turn {i}") for i, t in enumerate(raw_turns, 1))
    else:
        turns = (_jsonl_turn(record, where),)
    return EvalCase(id=case_id, turns=turns, as_of=as_of, group=record.get("type"), expect=expect)


def _expect(record: dict[str, Any], where: str) -> Expect:
    disagree = record.get("disagree", False)
    if not isinstance(disagree, bool):
        raise ReadError(f"{where}: 'disagree' must be true or false")
    raw_items = record.get("items", [])
    if not isinstance(raw_items, list):
        raise ReadError(f"{where}: 'items' must be a list of aliases lists")
    items = tuple(_strings(item, where, "items") for item in raw_items)
    dates = _strings(record.get("dates", []), where, "dates")
    for d in dates:
        if _date(d) is None:
            raise ReadError(f"{where}: dates: {d!r} is not a YYYY-MM-DD date")
    return Expect(_strings(record.get("newest", []), where, "newest"), _strings(record.get("older", []), where, "older"),
                  disagree, items, dates)


def load_temporal(path: Path) -> Dataset:
    """A temporal set (evals/temporal.jsonl): our JSONL plus what a news-aware answer must hold, asked
    against its own corpus, the folder of the same name beside it (evals/temporal/)."""
    folder = path.parent / _stem(path)
    if not folder.is_dir():
        raise ReadError(f"{path}: a temporal set reads its articles from {folder}/, which does not exist")
    dataset = load_jsonl(path, temporal=True)
    dataset.format = "temporal"
    dataset.article_files = tuple(sorted(p for p in folder.rglob("*") if p.is_file()))
    return dataset


def _jsonl_turn(record: Any, where: str) -> Turn:
    if not isinstance(record, dict):
        raise ReadError(f"{where}: a turn must be a JSON object")
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ReadError(f"{where}: 'question' must be a non-empty string")
    answers = _strings(record.get("answers", []), where, "answers")
    answerable = record.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ReadError(f"{where}: 'answerable' must be true or false")
    if answerable and not answers:
        raise ReadError(f"{where}: an answerable question needs at least one entry in 'answers'")
    evidence = _strings(record.get("evidence", []), where, "evidence")
    return Turn(question.strip(), answers, answerable, evidence)


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReadError(f"{where}: '{key}' must be a list of strings")
    return tuple(v for v in value if v.strip())


# --- RealTime QA --------------------------------------------------------------------------------


def load_realtimeqa(path: Path) -> Dataset:
    """Read a RealTime QA folder: questions/*_qa.jsonl[.gz], articles/*, baselines/*."""
    question_files = sorted((path / "questions").glob("*_qa.jsonl*"))
    if not question_files:
        raise ReadError(f"{path}/questions: no *_qa.jsonl[.gz] files")
    cases: list[EvalCase] = []
    for qfile in question_files:
        for number, record in _records(qfile):
            try:
                gold = record["choices"][int(record["answer"][0])]
                case = EvalCase(
                    id=str(record["question_id"]),
                    turns=(Turn(plain_text(record["question_sentence"]), (gold,),
                                evidence=_evidence_urls(record.get("evidence") or "")),),
                    as_of=_date(record.get("question_date")),
                    group=record.get("question_source"),
                )
            except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
                raise ReadError(f"{qfile}:{number}: not a RealTime QA question ({exc!r})") from exc
            cases.append(case)
    article_files = tuple(
        sorted(p for p in (path / "articles").glob("*.jsonl*")
               if p.name.split(".")[0].endswith(("_gcs", "_gold")))
    )
    return Dataset(
        name=path.name,
        format="realtimeqa",
        path=path,
        cases=cases,
        baselines=load_baselines(path / "baselines"),
        article_files=article_files,
    )


def load_baselines(folder: Path) -> dict[str, dict[str, str]]:
    """Every `{question_id, prediction}` file of a baselines folder, by its whole name less `.jsonl[.gz]`.

    A file predicts only the questions it lists. Raises ReadError for a record without those fields,
    a question predicted twice differently, or two files of the same name (`x.jsonl`, `x.jsonl.gz`).
    """
    out: dict[str, dict[str, str]] = {}
    origin: dict[str, Path] = {}
    if not folder.is_dir():
        return out
    for bfile in sorted(folder.iterdir()):
        name = baseline_name(bfile)
        if name is None or not bfile.is_file():
            continue
        if name in origin:
            raise ReadError(f"{bfile}: baseline {name!r} is also {origin[name]}; keep one of the two files")
        predictions: dict[str, str] = {}
        first_line: dict[str, int] = {}
        for number, record in _records(bfile):
            if "question_id" not in record or "prediction" not in record:
                raise ReadError(f"{bfile}:{number}: expected {{question_id, prediction}}")
            qid, prediction = str(record["question_id"]), str(record["prediction"] or "")
            if qid in predictions and predictions[qid] != prediction:
                raise ReadError(f"{bfile}:{number}: question_id {qid!r} was already predicted differently "
                                f"on line {first_line[qid]}")
            predictions[qid] = prediction
            first_line.setdefault(qid, number)
        origin[name] = bfile
        out[name] = predictions
    return out


def plain_text(text: str) -> str:
    """A question as a reader sees it: HTML tags dropped (their text kept), entities decoded, spaces collapsed.

    Some RealTime QA questions carry the quiz page's markup (`<a href=...>Dubai</a> chocolate`); a
    question with no `<` is only stripped. Shapes: str -> str.
    """
    if "<" in text and ">" in text:
        import lxml.html  # type: ignore[import-untyped]

        text = lxml.html.fragment_fromstring(text, create_parent="div").text_content()
    return " ".join(text.split())


def baseline_name(path: Path) -> str | None:
    """A baseline file's name less `.jsonl` or `.jsonl.gz` (dots inside it kept); None for other files."""
    for suffix in (".jsonl.gz", ".jsonl"):
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return path.name[: -len(suffix)]
    return None


def pool_realtimeqa_articles(files: tuple[Path, ...]) -> list[Article]:
    """All unique articles (by url) of the search-result and gold files, longest text kept."""
    best: dict[str, dict[str, Any]] = {}
    for afile in files:
        for _number, record in _records(afile):
            for result in record.get("search_result") or []:
                url = (result.get("url") or "").strip()
                text = (result.get("text") or "").strip()
                if not url or not text:
                    continue
                seen = best.get(url)
                if seen is None:
                    best[url] = dict(result, text=text)
                    continue
                if len(text) > len(seen["text"]):
                    seen["text"] = text
                for key in ("title", "authors", "publish_date"):
                    if not seen.get(key) and result.get(key):
                        seen[key] = result[key]
    articles = []
    for url, result in best.items():
        authors = result.get("authors") or []
        articles.append(
            Article(
                text=result["text"],
                title=(result.get("title") or None),
                source=_host(url),
                author=", ".join(authors) if isinstance(authors, list) else str(authors) or None,
                published=_published(result.get("publish_date")),
                url=url,
            )
        )
    return articles


def _evidence_urls(evidence: str) -> tuple[str, ...]:
    """Links in a RealTime QA evidence sentence: the articles that hold the answer."""
    urls = []
    for part in evidence.split('href="')[1:]:
        url = part.split('"', 1)[0].split("#", 1)[0]
        if url.startswith("http"):
            urls.append(url)
    return tuple(urls)


# --- MultiHop-RAG ------------------------------------------------------------------------------


def load_multihop(path: Path) -> Dataset:
    """Read MultiHop-RAG queries and ground truth; the gold evidence facts become the passages."""
    qfile = _first(path, "queries.json")
    gfile = _first(path, "ground_truth.json")
    if qfile is None or gfile is None:
        raise ReadError(f"{path}: expected queries.json[.gz] and ground_truth.json[.gz]")
    queries = _json(qfile)
    truth = _json(gfile)
    items = queries.get("queries", queries) if isinstance(queries, dict) else queries
    cases = []
    for item in items:
        qid = str(item["id"])
        gt = truth.get(qid)
        if gt is None:
            raise ReadError(f"{gfile}: no ground truth for query {qid}")
        answer = str(gt.get("answer", "")).strip()
        answerable = answer.lower() != MULTIHOP_NULL
        passages = []
        for i, ev in enumerate(gt.get("evidence_list") or []):
            url = ev.get("url") or None
            passages.append(
                Passage(
                    chunk_id=f"mh{qid}:{i}",
                    doc_id=f"mh{qid}:{i}",
                    text=str(ev.get("fact", "")),
                    article_id=url or f"mh{qid}:{i}",
                    title=ev.get("title") or None,
                    source=ev.get("source") or None,
                    published=_published(ev.get("published_at")),
                    url=url,
                )
            )
        cases.append(
            EvalCase(
                id=qid,
                turns=(Turn(item["question"].strip(), (answer,) if answerable else (), answerable),),
                passages=tuple(passages),
                group=item.get("question_type"),
            )
        )
    return Dataset(name=path.name, format="multihop", path=path, cases=cases)


# --- RGB counterfactual robustness -------------------------------------------------------------


def load_rgb(path: Path) -> Dataset:
    """Read RGB's en_fact file: true passages, counterfactual passages and a few negatives."""
    rfile = _rgb_file(path) if path.is_dir() else path
    if rfile is None:
        raise ReadError(f"{path}: no *_fact.jsonl[.gz] file")
    cases = []
    for number, record in _records(rfile):
        try:
            qid = str(record["id"])
            answers = _rgb_answers(record["answer"])
            fake = (str(record["fakeanswer"]),)
            kinds = [("true", p) for p in record["positive"]]
            kinds += [("fake", p) for p in record["positive_wrong"]]
            kinds += [("noise", p) for p in record.get("negative", [])[:RGB_NEGATIVES]]
        except (KeyError, TypeError) as exc:
            raise ReadError(f"{rfile}:{number}: not an RGB record ({exc!r})") from exc
        random.Random(f"rgb-{qid}").shuffle(kinds)
        passages = tuple(
            Passage(
                chunk_id=f"rgb{qid}:{kind}{i}",
                doc_id=f"rgb{qid}:{kind}{i}",
                text=str(text),
                article_id=f"rgb{qid}:{kind}{i}",
            )
            for i, (kind, text) in enumerate(kinds)
        )
        cases.append(
            EvalCase(
                id=qid,
                turns=(Turn(str(record["query"]).strip(), answers),),
                passages=passages,
                fake_answers=fake,
            )
        )
    name = path.name if path.is_dir() else _stem(path)
    return Dataset(name=name, format="rgb", path=path, cases=cases)


def _rgb_answers(value: Any) -> tuple[str, ...]:
    """RGB answers are a string, a list of aliases, or a list of alias lists: flatten them."""
    if isinstance(value, str):
        return (value,)
    out: list[str] = []
    for item in value:
        out.extend(_rgb_answers(item))
    return tuple(dict.fromkeys(out))


def _rgb_file(folder: Path) -> Path | None:
    found = sorted(folder.glob("*_fact.jsonl*"))
    return found[0] if found else None


# --- helpers -----------------------------------------------------------------------------------


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open(path) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReadError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise ReadError(f"{path}:{number}: each line must be a JSON object")
            yield number, record


def _json(path: Path) -> Any:
    try:
        with _open(path) as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise ReadError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc


def _first(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def _host(url: str) -> str | None:
    host = urlsplit(url).netloc.lower()
    return host.removeprefix("www.") or None


def _published(value: Any) -> str | None:
    """'YYYY/MM/DD' (RealTime QA) and ISO timestamps -> 'YYYY-MM-DD'."""
    return parse_date(str(value).replace("/", "-")) if value else None


def _date(value: Any) -> dt.date | None:
    text = _published(value)
    if text is None or len(text) != 10:
        return None
    return dt.date.fromisoformat(text)
