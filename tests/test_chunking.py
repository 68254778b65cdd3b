"""Chunking (issue 2 point 5): sentence-aware, within the model's 256-wordpiece limit with no silent
truncation, overlapping, and every chunk an exact slice of the article with its offsets."""

from __future__ import annotations

import random
import time

import pytest

from bot.chunking import SentenceChunker, WordpieceCounter, document_id, split_sentences
from bot.embed import MAX_WORDPIECES
from bot.ingest import embed_inputs
from bot.schema import Article


@pytest.fixture(scope="module")
def chunker() -> SentenceChunker:
    return SentenceChunker()


@pytest.fixture(scope="module")
def counter(chunker: SentenceChunker) -> WordpieceCounter:
    return chunker.counter


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_sentences_respect_abbreviations_initials_and_numbers() -> None:
    text = ('Mr. Smith met U.S. officials on Jan. 5 in Washington. J. Powell said rates rose 3.5 percent. '
            '"We are done." He left!\n\nA short line without a full stop\nA line after it\nand its wrapped end')
    assert sentences(text) == [
        "Mr. Smith met U.S. officials on Jan. 5 in Washington.",
        "J. Powell said rates rose 3.5 percent.",
        '"We are done."',
        "He left!",
        "A short line without a full stop",  # short: broken on purpose, not wrapped
        "A line after it\nand its wrapped end",  # a lower-case next line goes on the sentence
    ]


def test_sentence_spans_are_trimmed_slices() -> None:
    text = "  First one.   Second one?\n\n  Third!  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one?", "Third!"]
    assert split_sentences("") == [] and split_sentences(" \n\n ") == []


def test_document_id_is_the_normalised_text() -> None:
    a = document_id("Café  society\nreturns.")
    assert a == document_id("Cafe\u0301 society returns.  ")  # NFC and whitespace do not matter
    assert a != document_id("Café society returned.")
    assert len(a) == 24


def article(seed: int, n_sentences: int = 80) -> str:
    rng = random.Random(seed)
    words = "the council budget approved billion euros transport minister said plans tramway cyclists".split()
    out = []
    for _ in range(n_sentences):
        out.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 45))).capitalize() + rng.choice(".!?"))
    return " ".join(out)


TEXTS = {
    "prose": article(1),
    "paragraphs": "\n\n".join(article(s, 6) for s in range(8)),
    "one endless sentence": " ".join(["and the minister kept talking"] * 400),
    "no spaces": "北京现代第二工厂拥有在中国生产汽车的许可证" * 60,
    "long token": "See " + "x" * 3000 + " for details. Then more text follows here.",
    "bullets": "\n".join(f"- item {i} of the list with a few words" for i in range(120)),
}


@pytest.mark.parametrize("name", TEXTS)
def test_chunks_are_exact_slices_within_the_model_limit(chunker: SentenceChunker, counter: WordpieceCounter, name: str) -> None:
    text = TEXTS[name]
    doc = document_id(text)
    chunks = chunker.chunk(doc, text)
    assert chunks
    title = "A title of two hundred characters " * 7
    for i, c in enumerate(chunks):
        assert c.id == f"{doc}:{i}" and c.index == i and c.doc_id == doc
        assert c.text == text[c.start : c.end], "a chunk must be an exact slice so citations quote exactly"
        assert c.text == c.text.strip()
        # What the model sees (title + chunk, plus [CLS] and [SEP]) fits: nothing is silently truncated.
        [embedded] = embed_inputs([(Article(text=text, title=title), c)], counter)
        assert counter.count([embedded])[0] + 2 <= MAX_WORDPIECES, (name, i)
        assert embedded.endswith(c.text)
    # Nothing of the article is lost between chunks.
    covered = [False] * len(text)
    for c in chunks:
        covered[c.start : c.end] = [True] * (c.end - c.start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_chunks_hold_whole_sentences_and_overlap_by_one(chunker: SentenceChunker) -> None:
    text = TEXTS["prose"]
    spans = split_sentences(text)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    chunks = chunker.chunk("d", text)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:]):
        assert a.start in starts and a.end in ends
        assert b.start < a.end, "consecutive chunks share a sentence"
        shared = [s for s in spans if b.start <= s[0] and s[1] <= a.end]
        assert len(shared) == 1
    assert chunks[-1].end == spans[-1][1]


def test_chunk_size_follows_the_setting(counter: WordpieceCounter) -> None:
    text = TEXTS["prose"]
    small = SentenceChunker(counter, max_tokens=60).chunk("d", text)
    large = SentenceChunker(counter, max_tokens=200).chunk("d", text)
    assert len(small) > len(large)
    assert max(counter.count([c.text for c in small])) <= 60
    assert max(counter.count([c.text for c in large])) <= 200
    # A setting above the model's limit is capped at it, and the title then gives way to the chunk.
    capped = SentenceChunker(counter, max_tokens=10_000)
    assert capped.max_tokens <= MAX_WORDPIECES - 2
    pairs = [(Article(text=text, title="A long title " * 15), c) for c in capped.chunk("d", text)]
    inputs = embed_inputs(pairs, counter)
    assert max(counter.count(inputs)) <= MAX_WORDPIECES - 2
    assert any(t.startswith("A long title") for t in inputs) or all(t == c.text for t, (_, c) in zip(inputs, pairs))


def test_short_and_empty_articles(chunker: SentenceChunker) -> None:
    assert chunker.chunk("d", "") == []
    assert chunker.chunk("d", "   \n ") == []
    one = chunker.chunk("d", "Just one sentence.")
    assert [(c.text, c.start, c.end) for c in one] == [("Just one sentence.", 0, 18)]


def test_chunking_a_huge_article_is_linear(chunker: SentenceChunker) -> None:
    text = "The council met on Monday to discuss the budget for the next year. " * 3000
    t0 = time.perf_counter()
    small = chunker.chunk("d", text[: len(text) // 4])
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunks = chunker.chunk("d", text)
    t_big = time.perf_counter() - t0
    assert len(chunks) > 3 * len(small)
    assert t_big < 8 * t_small + 1.0, f"4x the text took {t_big / max(t_small, 1e-9):.1f}x the time"


# --- issue 15: hard-wrapped text, other scripts, over-long sentences ------------------------------

WRAP_SOURCE = [
    "Selwyn Solar was founded in 2011 by the engineer Maud Petherick and now employs about 600 people. "
    "The company makes rooftop panels near Swansea, and its chief executive, Dr. Ann Lee, said sales rose "
    "12.5 percent in 2024 without a single new factory",
    "Its three plants are listed below:",
]
WRAP_ITEMS = ["- Swansea, opened in 2012 with 200 staff and expanded twice since then",
              "- Cardiff, opened in 2019", "1. Newport, the newest of the plants, opened in 2023"]
WRAP_AFTER = "Shares in Selwyn Solar rose 4 percent on Friday after the results were published"


def _flat_sentences(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in split_sentences(text)]


@pytest.mark.parametrize("width", [28, 40, 57, 60, 66, 79])
def test_a_line_break_inside_a_wrapped_paragraph_does_not_end_a_sentence(width: int) -> None:
    import textwrap

    def wrap(block: str) -> str:
        return textwrap.fill(block, width, subsequent_indent="  " if block[:1] in "-1" else "")

    paragraphs = [wrap(WRAP_SOURCE[0]), wrap(WRAP_SOURCE[1]) + "\n" + "\n".join(wrap(i) for i in WRAP_ITEMS),
                  wrap(WRAP_AFTER)]
    text = "\n\n".join(paragraphs)
    assert "\n" in text.split("\n\n")[0]
    assert _flat_sentences(text) == [
        "Selwyn Solar was founded in 2011 by the engineer Maud Petherick and now employs about 600 people.",
        "The company makes rooftop panels near Swansea, and its chief executive, Dr. Ann Lee, said sales rose "
        "12.5 percent in 2024 without a single new factory",  # no full stop: the blank line ends it
        "Its three plants are listed below:",
        *WRAP_ITEMS,  # each list item (wrapped or not) is a sentence of its own
        WRAP_AFTER,
    ]


def test_the_reported_hard_wrapped_body() -> None:
    text = "Selwyn Solar was founded in 2011 by the engineer Maud\nPetherick and now employs about 600 people."
    assert split_sentences(text) == [(0, len(text))]


def test_deliberate_short_lines_still_end_sentences() -> None:
    body = ("The regional council approved the tramway budget on Monday after a long\n"
            "debate, and the transport minister said the first line would open in 2027\n"
            "if the tunnel works stay on schedule this winter")
    text = "Tramway approved\nBy Jane Doe\n" + body + "\n# Reactions\nCyclists welcomed the plan"
    assert _flat_sentences(text) == ["Tramway approved", "By Jane Doe", " ".join(body.split()), "# Reactions",
                                     "Cyclists welcomed the plan"]


SCRIPTS = {
    "chinese": ("蓝湾电池成立于2010年。公司现有1200名员工！总部在哪里？在宁波；工厂在合肥。",
                ["蓝湾电池成立于2010年。", "公司现有1200名员工！", "总部在哪里？", "在宁波；", "工厂在合肥。"]),
    "chinese quotes": ("他说：“我们会扩产。”随后离开。", ["他说：“我们会扩产。”", "随后离开。"]),
    "japanese": ("青湾電池は二〇一〇年に設立された。従業員は約千二百人だ｡本社は寧波にある", 
                 ["青湾電池は二〇一〇年に設立された。", "従業員は約千二百人だ｡", "本社は寧波にある"]),
    "full width": ("价格上涨了３．５％！为什么？", ["价格上涨了３．５％！", "为什么？"]),
    "arabic": ("تأسست الشركة في عام 2010. كم عدد الموظفين؟ يعمل فيها 1200 موظف۔ انتهى",
               ["تأسست الشركة في عام 2010.", "كم عدد الموظفين؟", "يعمل فيها 1200 موظف۔", "انتهى"]),
    "hindi": ("कंपनी की स्थापना 2010 में हुई। इसमें 1200 कर्मचारी हैं॥ मुख्यालय पुणे में है",
              ["कंपनी की स्थापना 2010 में हुई।", "इसमें 1200 कर्मचारी हैं॥", "मुख्यालय पुणे में है"]),
    "amharic": ("ኩባንያው በ2010 ተመሠረተ። ሠራተኞቹ 1200 ናቸው።", ["ኩባንያው በ2010 ተመሠረተ።", "ሠራተኞቹ 1200 ናቸው።"]),
    "myanmar": ("ကုမ္ပဏီကို ၂၀၁၀ တွင် တည်ထောင်ခဲ့သည်။ဝန်ထမ်း ၁၂၀၀ ရှိသည်။",
                ["ကုမ္ပဏီကို ၂၀၁၀ တွင် တည်ထောင်ခဲ့သည်။", "ဝန်ထမ်း ၁၂၀၀ ရှိသည်။"]),
    "cyrillic": ("Компания основана в 2010 г. в Нинбо. В ней работают 1200 человек! А. С. Иванов — директор.",
                 ["Компания основана в 2010 г. в Нинбо.", "В ней работают 1200 человек!",
                  "А. С. Иванов — директор."]),
    "greek": ("Η εταιρεία ιδρύθηκε το 2010. Πόσους υπαλλήλους έχει; Έχει 1.200 υπαλλήλους.",
              ["Η εταιρεία ιδρύθηκε το 2010.", "Πόσους υπαλλήλους έχει;", "Έχει 1.200 υπαλλήλους."]),
    "accented latin": ("Éric Dupont a fondé l'entreprise en 2010. Ça marche très bien! Öl für Ägypten? Ja.",
                       ["Éric Dupont a fondé l'entreprise en 2010.", "Ça marche très bien!", "Öl für Ägypten?",
                        "Ja."]),
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_sentences_end_at_every_scripts_punctuation(name: str) -> None:
    text, expected = SCRIPTS[name]
    assert sentences(text) == expected


def test_a_semicolon_outside_greek_does_not_end_a_sentence() -> None:
    text = "Sales rose; profits fell. Costs grew."
    assert sentences(text) == ["Sales rose; profits fell.", "Costs grew."]
    assert sentences("Πόσους έχει\u037e Έχει 1.200.") == ["Πόσους έχει\u037e", "Έχει 1.200."]


def test_cjk_chunks_end_at_sentence_ends_and_count_right(counter: WordpieceCounter) -> None:
    rng = random.Random(5)
    parts = ["蓝湾电池", "公司", "员工", "工厂", "宁波", "合肥", "扩产", "今年", "收入", "增长"]
    text = "".join("".join(rng.choice(parts) for _ in range(rng.randint(4, 20))) + rng.choice("。！？；")
                   for _ in range(120))
    spans = split_sentences(text)
    assert len(spans) == 120
    chunker = SentenceChunker(counter, max_tokens=100)
    chunks = chunker.chunk("d", text)
    assert len(chunks) > 5
    ends = {e for _, e in spans}
    for c in chunks:
        assert c.text == text[c.start : c.end] and c.end in ends
        assert counter.count([c.text])[0] <= 100  # each CJK character is a wordpiece: nothing is under-counted
    assert [c.start for c in chunks][1:] < [c.end for c in chunks][:-1], "consecutive chunks overlap"


def _endless_sentence(seed: int, at: int, name: str) -> tuple[str, int]:
    rng = random.Random(seed)
    filler = "the council said after a long and heated review of the accounts that it had agreed to".split()
    words = [rng.choice(filler) for _ in range(500)]
    text = " ".join(words[:at]) + f" {name} " + " ".join(words[at:])
    return text, text.index(name)


@pytest.mark.parametrize("name", ["Petra Odell", "Jean-Luc de la Fontaine", "Anna Maria Lindqvist Berg"])
def test_a_name_across_any_cut_of_an_overlong_sentence_is_whole_in_a_piece(counter: WordpieceCounter, name: str) -> None:
    chunker = SentenceChunker(counter, max_tokens=60)
    baseline, _ = _endless_sentence(1, 0, name)
    cuts = [e for _, e in chunker._pieces(baseline)][:-1]
    assert len(cuts) >= 5
    # Put the name at every word position around the first cuts: it must be whole in some piece,
    # and no piece may start or end inside it.
    for at in range(40, 160):
        text, where = _endless_sentence(1, at, name)
        pieces = chunker._pieces(text)
        assert all(counter.count([text[s:e]])[0] <= 60 for s, e in pieces)
        assert any(s <= where and where + len(name) <= e for s, e in pieces), (at, name)
        assert not any(where < s < where + len(name) or where < e < where + len(name) for s, e in pieces), at


@pytest.mark.parametrize("max_tokens", [40, 80, 160])
def test_pieces_of_an_overlong_sentence_overlap_by_words(counter: WordpieceCounter, max_tokens: int) -> None:
    text = " ".join(f"word{i % 7} lorem{i % 5}" for i in range(600))  # no name anywhere, no punctuation
    chunker = SentenceChunker(counter, max_tokens=max_tokens)
    pieces = chunker._pieces(text)
    assert len(pieces) > 3 and pieces[0][0] == 0 and pieces[-1][1] == len(text)
    for (s1, e1), (s2, e2) in zip(pieces, pieces[1:]):
        assert s1 < s2 < e1 < e2
        shared = text[s2:e1]
        assert len(shared.split()) >= chunker.overlap_words, shared
        assert text[s2 - 1].isspace() and text[e1].isspace(), "cuts fall between words"
        assert len(shared.split()) < len(text[s1:e1].split()) // 2 + chunker.overlap_words
    # Chunks built from the pieces keep the overlap, so the embedding of each cut sees both sides.
    chunks = chunker.chunk("d", text)
    assert all(b.start < a.end for a, b in zip(chunks, chunks[1:]))


def test_an_overlong_cjk_sentence_is_cut_with_overlap(counter: WordpieceCounter) -> None:
    text = "北京现代第二工厂拥有在中国生产汽车的许可证" * 40 + "。"
    chunker = SentenceChunker(counter, max_tokens=50)
    pieces = chunker._pieces(text)
    assert len(pieces) > 5
    for (s1, e1), (s2, e2) in zip(pieces, pieces[1:]):
        assert s1 < s2 and e1 - s2 >= chunker.overlap_words  # CJK characters are words of their own
        assert counter.count([text[s1:e1]])[0] <= 50
