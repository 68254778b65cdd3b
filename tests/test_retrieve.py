"""Hybrid retrieval (issue 2 point 7): dense MiniLM + BM25 fused by reciprocal rank, near-duplicates
collapsed, filters on outlet and date range, --as-of excluding later articles and preferring recent
ones for "this week"/"recently" questions, and a conversation's articles preferred."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.pipeline import Pipeline
from bot.retrieve import RRF_K, HybridRetriever
from bot.schema import Article, Passage, Query
from bot.settings import Settings

ARTICLES = [
    Article(
        "The city council approved a new tramway line on Tuesday. The line will link the airport to the "
        "central station by 2026. Construction costs are estimated at 1.2 billion euros.",
        title="Council approves airport tramway", source="Metro Daily", published="2022-03-02",
        url="https://metro.example/tram"),
    Article(
        "Firmware release ZX-9041 fixes a flaw in the routers sold by Nettik. Owners should install the "
        "update manually, the company said.",
        title="Router maker patches flaw", source="Tech Wire", published="2022-05-10",
        url="https://tech.example/zx"),
    Article(
        "Wheat prices climbed sharply after the drought cut the harvest in the southern plains. Bakers warned "
        "that bread would cost more by the autumn.",
        title="Drought lifts wheat prices", source="Farm Journal", published="2022-06-01",
        url="https://farm.example/wheat-june"),
    Article(
        "Wheat prices fell this week as rain returned to the southern plains and the harvest outlook improved. "
        "Traders expect bread prices to stabilise.",
        title="Rain eases wheat prices", source="Farm Journal", published="2022-08-26",
        url="https://farm.example/wheat-aug"),
    Article(
        "The museum reopened its Egyptian gallery after a two-year renovation. Visitors can see the restored "
        "mummy of a priest and a painted coffin.",
        title="Egyptian gallery reopens", source="Culture Post", published="2022-08-20",
        url="https://culture.example/museum"),
    # A syndicated near-copy of the museum story: one word differs, so it is another document.
    Article(
        "The museum reopened its Egyptian gallery after a two-year renovation. Visitors can now see the restored "
        "mummy of a priest and a painted coffin.",
        title="Egyptian gallery reopens", source="Wire Copy", published="2022-08-20",
        url="https://wire.example/museum"),
    Article(
        "Officials said the tramway budget would be reviewed next year after costs rose. The airport link "
        "remains the priority of the transport plan.",
        title="Tram budget review", source="City Hall News", published="2022-09-15",
        url="https://cityhall.example/tram-review"),
    Article(
        "An undated note on the tramway: the depot will be built near the river.",
        title="Depot note", source="Metro Daily", url="https://metro.example/depot"),
]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, minilm: object) -> Pipeline:
    data = tmp_path_factory.mktemp("retrieve")
    p = Pipeline(Settings(data_dir=data), embedder=minilm)  # type: ignore[arg-type]
    report = p.ingest_articles(ARTICLES)
    assert report.added == len(ARTICLES)
    return p


def urls(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.passage.article_id for h in hits]


def test_fusion_is_reciprocal_rank(pipeline: Pipeline) -> None:
    def passage(cid: str, doc: str, text: str) -> Passage:
        return Passage(chunk_id=cid, doc_id=doc, text=text, article_id=doc)

    passages = {
        "a:0": passage("a:0", "a", "alpha words here"),
        "b:0": passage("b:0", "b", "bravo other words"),
        "c:0": passage("c:0", "c", "charlie different text"),
    }
    retriever: HybridRetriever = pipeline.retriever
    hits = retriever.fuse(Query("q", k=3), passages, dense=[("a:0", 0.9), ("b:0", 0.8)], lexical=[("c:0", 9.0), ("b:0", 5.0)])
    # b is second in both lists and beats a and c, each first in only one.
    assert [h.passage.chunk_id for h in hits] == ["b:0", "a:0", "c:0"] or [h.passage.chunk_id for h in hits] == ["b:0", "c:0", "a:0"]
    b = hits[0]
    assert b.score == pytest.approx(2 / (RRF_K + 2))
    assert (b.dense_rank, b.lexical_rank) == (2, 2)
    assert {(h.passage.chunk_id, h.dense_rank, h.lexical_rank) for h in hits[1:]} == {("a:0", 1, None), ("c:0", None, 1)}
    assert len(retriever.fuse(Query("q", k=1), passages, [("a:0", 1.0)], [("c:0", 1.0)])) == 1


def test_exact_codes_are_found_by_bm25_and_paraphrases_by_the_model(pipeline: Pipeline) -> None:
    code = pipeline.retrieve(pipeline.query("ZX-9041", k=3))
    assert code[0].passage.article_id == "https://tech.example/zx"
    assert code[0].lexical_rank == 1
    paraphrase = pipeline.retrieve(pipeline.query("Which company fixed a security hole in its network devices?", k=3))
    assert paraphrase[0].passage.article_id == "https://tech.example/zx"
    assert paraphrase[0].dense_rank == 1


def test_near_duplicates_are_collapsed(pipeline: Pipeline) -> None:
    hits = pipeline.retrieve(pipeline.query("Egyptian gallery mummy museum renovation", k=5))
    museum = [h for h in hits if "museum" in h.passage.article_id]
    assert len(museum) == 1, urls(hits)
    assert len(hits) >= 3  # the other slots are filled by other articles, not the copy


@pytest.mark.parametrize("sources", [["Farm Journal"], ["farm journal"], ["FARM JOURNAL", "Nobody"]])
def test_source_filter(pipeline: Pipeline, sources: list[str]) -> None:
    hits = pipeline.retrieve(pipeline.query("tramway airport budget", k=5, sources=sources))
    assert hits, "a filter still returns that outlet's best passages"
    assert {h.passage.source for h in hits} == {"Farm Journal"}


def test_date_range_filter(pipeline: Pipeline) -> None:
    hits = pipeline.retrieve(pipeline.query("wheat prices harvest", k=8, since=dt.date(2022, 7, 1), until=dt.date(2022, 8, 31)))
    assert hits
    for h in hits:
        assert h.passage.published is not None and "2022-07-01" <= h.passage.published <= "2022-08-31"
    assert "https://farm.example/wheat-aug" in urls(hits)
    assert "https://farm.example/wheat-june" not in urls(hits)


def test_as_of_excludes_later_articles_and_undated_ones(pipeline: Pipeline) -> None:
    everything = urls(pipeline.retrieve(pipeline.query("tramway airport budget depot", k=8)))
    assert "https://cityhall.example/tram-review" in everything
    assert "https://metro.example/depot" in everything
    hits = pipeline.retrieve(pipeline.query("tramway airport budget depot", k=8, as_of=dt.date(2022, 8, 31)))
    assert "https://cityhall.example/tram-review" not in urls(hits)
    assert "https://metro.example/tram" in urls(hits)
    assert "https://metro.example/depot" not in urls(hits)  # no date: it may be from any day
    for h in hits:
        assert h.passage.published is not None and h.passage.published <= "2022-08-31"


@pytest.mark.parametrize("bounds", [
    {"as_of": dt.date(2030, 1, 1)}, {"until": dt.date(2030, 1, 1)}, {"since": dt.date(1990, 1, 1)},
    {"since": dt.date(1990, 1, 1), "until": dt.date(2030, 1, 1)},
])
def test_every_date_filter_leaves_undated_articles_out(pipeline: Pipeline, bounds: dict[str, dt.date]) -> None:
    # Bounds that every dated article passes: only the rule for undated articles is tested.
    hits = pipeline.retrieve(pipeline.query("tramway airport budget depot", k=8, **bounds))
    assert "https://metro.example/tram" in urls(hits)
    assert "https://metro.example/depot" not in urls(hits)
    assert all(h.passage.published for h in hits)


def test_recent_questions_prefer_recent_articles(pipeline: Pipeline) -> None:
    question = "What happened to wheat prices after the drought in the southern plains?"
    # Without an as-of date, the June article matches the question best.
    plain = pipeline.retrieve(pipeline.query(question, k=2))
    assert plain[0].passage.article_id == "https://farm.example/wheat-june"
    # Asked as of the end of August, the question is about the news before that day: August's article.
    as_of = dt.date(2022, 8, 31)
    dated = pipeline.retrieve(pipeline.query(question, k=2, as_of=as_of))
    assert dated[0].passage.article_id == "https://farm.example/wheat-aug"
    assert dated[0].score > plain[1].score
    recent = pipeline.retrieve(pipeline.query("What happened to wheat prices recently after the drought in the southern plains?", k=2, as_of=as_of))
    assert recent[0].passage.article_id == "https://farm.example/wheat-aug"
    this_week = pipeline.retrieve(pipeline.query("What happened to wheat prices this week after the drought in the southern plains?", k=2, as_of=as_of))
    assert this_week[0].passage.article_id == "https://farm.example/wheat-aug"
    assert this_week[0].score > dated[0].score  # "this week" weighs the last days more
    # Two years on, both articles are old news: the better match leads again.
    late = pipeline.retrieve(pipeline.query(question, k=2, as_of=dt.date(2024, 8, 31)))
    assert late[0].passage.article_id == "https://farm.example/wheat-june"
    # Without an as-of date there is no "now" to be recent to.
    undated = pipeline.retrieve(pipeline.query("What happened to wheat prices recently after the drought in the southern plains?", k=2))
    assert undated[0].passage.article_id == "https://farm.example/wheat-june"


def test_prefer_docs_boosts_a_conversations_articles(pipeline: Pipeline) -> None:
    q = "airport link transport plan costs"
    base = pipeline.retrieve(pipeline.query(q, k=3))
    second = base[1].passage
    boosted = pipeline.retrieve(pipeline.query(q, k=3, prefer_docs=[second.doc_id]))
    assert boosted[0].passage.doc_id == second.doc_id


def test_k_limits_hits_and_every_hit_is_whole(pipeline: Pipeline) -> None:
    for k in (1, 3, 6):
        hits = pipeline.retrieve(pipeline.query("prices", k=k))
        assert 1 <= len(hits) <= k
    for h in pipeline.retrieve(pipeline.query("tramway", k=6)):
        assert pipeline.state.has_doc(h.passage.doc_id)
        article = next(a for a in ARTICLES if a.url == h.passage.article_id)
        assert article.text[h.passage.start : h.passage.end] == h.passage.text


def test_retrieval_sees_an_ingest_from_another_pipeline(tmp_path: Path, minilm: object) -> None:
    """A long-running reader (the Slack bot) picks up what `newsbot ingest` added, BM25 included."""
    settings = Settings(data_dir=tmp_path / "data")
    reader = Pipeline(settings, embedder=minilm)  # type: ignore[arg-type]
    writer = Pipeline(settings, embedder=minilm)  # type: ignore[arg-type]
    writer.ingest_articles(ARTICLES[:2])
    assert reader.retrieve(reader.query("ZX-9041", k=2))[0].passage.article_id == "https://tech.example/zx"
    writer.ingest_articles(ARTICLES[:3])
    import time

    time.sleep(0.6)  # the reader checks for a newer BM25 index at most twice a second
    hits = reader.retrieve(reader.query("drought wheat harvest", k=2))
    assert hits[0].passage.article_id == "https://farm.example/wheat-june"
    assert hits[0].lexical_rank == 1


def test_a_selective_date_filter_finds_what_chromas_own_filter_finds(tmp_path: Path) -> None:
    """Dates are filtered after an unfiltered, widening dense search; the result matches Chroma's filter."""
    from bot.embed import HashEmbedder
    from bot.store import DenseFilter

    articles = [
        Article(text=f"Harbour report {i}. The ferry schedule changed again in week {i} because of storms.",
                title=f"Ferry {i}", source="Port News", published=f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}",
                url=f"https://port.example/{i}")
        for i in range(400)
    ]
    pipe = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    pipe.ingest_articles(articles)
    vector = pipe.embedder.embed(["ferry schedule storms"])[0]
    for as_of, since in ((dt.date(2023, 1, 20), None), (dt.date(2023, 12, 31), dt.date(2023, 12, 10)), (None, None)):
        flt = DenseFilter(max_ord=as_of.toordinal() if as_of else None, min_ord=since.toordinal() if since else None)
        ours = pipe.retriever.dense_filtered(vector, 40, flt) if (as_of or since) else pipe.store.search(vector, 40)
        chroma = pipe.store.search(vector, 40, flt)
        assert [c for c, _ in ours] == [c for c, _ in chroma]
        hits = pipe.retrieve(pipe.query("ferry schedule storms", as_of=as_of, since=since, k=10))
        assert hits
        for h in hits:
            day = dt.date.fromisoformat(h.passage.published or "")
            assert (as_of is None or day <= as_of) and (since is None or day >= since)


def test_ask_json_says_how_undated_articles_were_treated(pipeline: Pipeline) -> None:
    filtered = pipeline.ask("What will the tramway depot cost?", since=dt.date(2022, 1, 1)).to_json()
    assert filtered["undated"] == "excluded"
    assert "undated" not in pipeline.ask("What will the tramway depot cost?").to_json()


def _copy(cid: str, figure: str, published: str) -> Passage:
    text = f"Fenwick Air raised {figure} in a funding round led by Greyfen Capital, the company said on Monday."
    return Passage(chunk_id=cid, doc_id=cid.split(":")[0], text=text, article_id=cid, source="Wire",
                   published=published)


def test_a_near_duplicate_with_other_figures_is_kept(pipeline: Pipeline) -> None:
    # Two wire copies differing only in the figure: the older scored higher, the newer is not thrown away.
    passages = {"old:0": _copy("old:0", "15 million dollars", "2023-08-01"),
                "new:0": _copy("new:0", "50 million dollars", "2023-08-02")}
    hits = pipeline.retriever.fuse(Query("How much did Fenwick Air raise?", k=5), passages,
                                   dense=[("old:0", 0.9), ("new:0", 0.8)], lexical=[("old:0", 9.0), ("new:0", 8.0)])
    assert [h.passage.chunk_id for h in hits] == ["old:0", "new:0"]


def test_a_near_duplicate_with_the_same_figures_keeps_the_newest(pipeline: Pipeline) -> None:
    passages = {"old:0": _copy("old:0", "15 million dollars", "2023-08-01"),
                "new:0": _copy("new:0", "15 million dollars", "2023-08-03")}
    hits = pipeline.retriever.fuse(Query("How much did Fenwick Air raise?", k=5), passages,
                                   dense=[("old:0", 0.9), ("new:0", 0.8)], lexical=[("old:0", 9.0), ("new:0", 8.0)])
    assert [h.passage.chunk_id for h in hits] == ["new:0"]


def test_list_questions_retrieve_more_passages(pipeline: Pipeline) -> None:
    # "Which ..." over several articles: more than the default top-k, so every article can be an item.
    hits = pipeline.retrieve(pipeline.query("Which companies announced price changes?", k=2))
    assert len(hits) > 2
    assert len(pipeline.retrieve(pipeline.query("What did the council approve?", k=2))) == 2
