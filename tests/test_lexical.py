"""The BM25 index's tokens (issue 15 points 3 and 7): numbers by value and unit, words of any script,
and an index saved in the old format rebuilt rather than mixed with the new tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.lexical import FORMAT, Bm25Index
from bot.pipeline import Pipeline
from bot.schema import Article
from bot.settings import Settings

ROWS = [
    ("valmart:0", "Grocer Valmart cut prices by 5% across its stores, the company said.", "Valmart cuts prices"),
    ("voltra:0", "Carmaker Voltra will cut 1,200 jobs in Germany as demand slows.", "Voltra cuts jobs"),
    ("payzo:0", "Fintech start-up Payzo was valued at $1.2bn in its latest funding round.", "Payzo funding"),
    ("ravel:0", "Bicycles | 31.7 million euros | -9%", "Ravel Outdoor results"),
    ("lund:0", "The city of Lund opened a 5km tram line on Monday.", "Lund tram"),
    ("noise1:0", "Prices of wheat rose by 12% after a drought; stores raised bread prices.", "Wheat"),
    ("noise2:0", "Carmaker Zeta will hire 300 workers for its plant in Ohio.", "Zeta hires"),
    ("noise3:0", "Startup Quibo was valued at $3bn after it raised funds from investors.", "Quibo"),
    ("zh:0", "蓝湾电池是一家总部位于宁波的电池制造商。蓝湾电池现有员工约八百人。", "蓝湾电池"),
    ("zh2:0", "上海的一家银行今年增加了分行。", "银行"),
    ("ru:0", "На заводе Северсталь в Череповце работают 1200 сотрудников.", "Северсталь"),
    ("el:0", "Η εταιρεία Παπαδόπουλος απασχολεί 350 εργαζόμενους στη Θεσσαλονίκη.", "Παπαδόπουλος"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Bm25Index:
    idx = Bm25Index(tmp_path_factory.mktemp("bm25"))
    idx.build(ROWS, generation=1)
    return idx


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Which retailer cut prices by 5 percent?", "valmart:0"),
        ("cut prices 5 per cent", "valmart:0"),
        ("Which company will cut 1200 jobs?", "voltra:0"),
        ("company cut 1.2k jobs", "voltra:0"),
        ("Which company was valued at $1.2 billion?", "payzo:0"),
        ("valued at 1.2 billion dollars", "payzo:0"),
        ("valued at USD 1.2bn", "payzo:0"),
        ("revenue of €31.7 million", "ravel:0"),
        ("31.7m euros", "ravel:0"),
        ("a 5 km tram line", "lund:0"),
        ("蓝湾电池有多少员工？", "zh:0"),
        ("Сколько сотрудников работают на заводе Северсталь?", "ru:0"),
        ("Πόσους εργαζόμενους απασχολεί η Παπαδόπουλος;", "el:0"),
    ],
)
def test_any_spelling_of_a_number_and_any_script_retrieves(index: Bm25Index, query: str, expected: str) -> None:
    hits = index.search(query, 3)
    assert hits and hits[0][0] == expected, (query, hits)


def test_a_different_amount_is_no_number_match(index: Bm25Index) -> None:
    # "1,300 jobs" shares the words with Voltra's chunk but not the number: the number token scores nothing.
    (same,) = [s for c, s in index.search("cut 1200 jobs", 12) if c == "voltra:0"]
    (other,) = [s for c, s in index.search("cut 1300 jobs", 12) if c == "voltra:0"]
    assert same > other > 0
    assert index.tokenize(["5%"]) == index.tokenize(["5 percent"]) == [["num:5:pct", "num:5"]]


def test_an_index_saved_in_an_older_format_reads_as_missing(tmp_path: Path) -> None:
    idx = Bm25Index(tmp_path)
    idx.build(ROWS, generation=3)
    manifest = tmp_path / "MANIFEST"
    data = json.loads(manifest.read_text())
    assert data["version"] == FORMAT == 2
    data["version"] = 1
    manifest.write_text(json.dumps(data))
    old = Bm25Index(tmp_path)
    assert not old.load() and old.disk_generation() == -1


def test_an_old_format_index_is_rebuilt_by_the_next_ingest(tmp_path: Path, minilm: object) -> None:
    # A real pipeline (MiniLM, Chroma): after its BM25 manifest is marked as the old format, the next
    # ingest rebuilds every chunk with the new tokens, so "5 percent" finds "5%" through retrieval.
    settings = Settings(data_dir=tmp_path / "data")
    first = Pipeline(settings, embedder=minilm)  # type: ignore[arg-type]
    first.ingest_articles([Article(text, title=title, url=f"https://news.example/{cid}") for cid, text, title in ROWS[:5]])
    manifest = first.lexical.folder / "MANIFEST"
    data = json.loads(manifest.read_text())
    data["version"] = 1
    manifest.write_text(json.dumps(data))
    second = Pipeline(settings, embedder=minilm)  # type: ignore[arg-type]
    second.ingest_articles([Article(ROWS[5][1], title=ROWS[5][2], url="https://news.example/noise1")])
    assert json.loads(manifest.read_text())["version"] == FORMAT
    assert len(second.lexical) == 6
    hits = second.retrieve(second.query("Which retailer cut prices by 5 percent?", k=3))
    assert hits[0].passage.article_id == "https://news.example/valmart:0"
    assert hits[0].lexical_rank == 1


def test_case_and_accents_are_folded(tmp_path: Path) -> None:
    idx = Bm25Index(tmp_path)
    idx.build([("sp:0", "São Paulo's metro opened a new line.", None), ("rj:0", "Rio's metro closed a line.", None),
               ("el:0", "Η Παπαδόπουλος απασχολεί 350 εργαζόμενους.", None)], generation=1)
    assert idx.search("Sao Paulo metro", 1)[0][0] == "sp:0"
    assert idx.search("ΠΟΣΟΥΣ ΕΡΓΑΖΟΜΕΝΟΥΣ ΑΠΑΣΧΟΛΕΙ Η ΠΑΠΑΔΟΠΟΥΛΟΣ", 1)[0][0] == "el:0"
