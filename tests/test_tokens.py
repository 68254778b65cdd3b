"""Words of any script (issue 15 point 3): letters with their marks, folded case and accents, and
scripts written without spaces read as character bigrams."""

from __future__ import annotations

from bot.tokens import fold, spaced, words


def test_words_of_any_script() -> None:
    assert words("Компания «Северсталь» наняла сотрудников") == ["Компания", "Северсталь", "наняла", "сотрудников"]
    assert words("Η Ελλάδα και ο Παπαδόπουλος") == ["Η", "Ελλάδα", "και", "ο", "Παπαδόπουλος"]
    # Composed and decomposed accents are one word.
    assert words("São Paulo café") == words("Sa\u0303o Paulo cafe\u0301") == ["São", "Paulo", "café"]
    # Vowel signs are part of the word (they are marks, not letters).
    assert words("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    assert words("شركة الأفق للطاقة") == ["شركة", "الأفق", "للطاقة"]


def test_unspaced_scripts_are_bigrams_cut_at_question_words() -> None:
    # Chinese has no spaces: bigrams, cut at question words, so the question shares the passage's terms.
    question, passage = set(words("蓝湾电池有多少员工？")), set(words("蓝湾电池现有员工约八百人。"))
    assert {"蓝湾", "电池", "员工"} <= question & passage
    assert "多少" not in question and "少员" not in question
    assert words("従業員は何人") == ["従業", "業員", "員は", "は何", "何人"]
    assert words("ไทยรัฐ") == ["ไท", "ทย", "ยร", "รั", "ัฐ"]
    assert spaced("电池。Acme") == " 电池 。Acme"


def test_folding_drops_case_and_accents_but_not_indic_vowel_signs() -> None:
    assert fold("ΠΑΠΑΔΟΠΟΥΛΟΣ") == fold("Παπαδόπουλος") == "παπαδοπουλοσ"
    assert fold("São Paulo") == fold("SAO PAULO") == "sao paulo"
    assert fold("Straße") == "strasse"
    assert fold("हिन्दी") == "हिन्दी" != fold("हिन्द")
