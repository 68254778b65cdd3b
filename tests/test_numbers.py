"""Numbers -> canonical value+unit tokens (issue 15 point 7)."""

from __future__ import annotations

import pytest

from bot.numbers import amounts, found, found_rounded, has_figure, number_tokens, without_amounts


def token(text: str) -> str:
    """The one amount's full token."""
    (a,) = amounts(text)
    return a.token


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (["5%", "5 percent", "5 per cent", "5 Percent", "5 pct", "5pc", "５％", "5\u00a0%"], "num:5:pct"),
        (["1,200", "1200", "1.2k", "1.2 thousand", "１２００"], "num:1200"),
        (["$1.2bn", "$1.2 billion", "1.2 billion dollars", "USD 1.2bn", "US$1.2bn", "1.2bn USD", "$1,200 million",
          "$US1.2bn", "a 1.2-billion-dollar", "$1.2 bln"],
         "num:1200000000:usd"),
        (["31.7m euros", "€31.7 million", "31.7 million euros", "EUR 31.7mn", "€31,700,000"], "num:31700000:eur"),
        (["5km", "5 km", "5 kilometres", "5 kilometers", "a 5-km"], "num:5:km"),
        (["25 basis points", "25bps"], "num:25:bp"),
        (["£3m", "3 million pounds", "GBP 3mn"], "num:3000000:gbp"),
        (["3.50", "3.5"], "num:3.5"),
        (["twelve", "12"], "num:12"),
    ],
)
def test_every_spelling_of_an_amount_has_one_token(spellings: list[str], expected: str) -> None:
    for spelling in spellings:
        assert token(f"It was {spelling} last year.") == expected, spelling


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("5%", "5 km"),  # same value, another unit
        ("$1.2bn", "€1.2bn"),  # same value, another currency
        ("1.2bn", "1.2m"),  # another scale
        ("1,200", "1,300"),
        ("5 m", "5m"),  # five metres is not five million
    ],
)
def test_different_amounts_do_not_meet(a: str, b: str) -> None:
    assert token(a) != token(b)


def test_an_amount_with_a_unit_also_gives_its_bare_value() -> None:
    # "valued at 1.2 billion" (no currency) must still meet "$1.2bn".
    assert number_tokens("$1.2bn") == ["num:1200000000:usd", "num:1200000000"]
    assert "num:1200000000" in number_tokens("1.2 billion")
    assert number_tokens("Bicycles | 31.7 million euros | -9%") == [
        "num:31700000:eur", "num:31700000", "num:9:pct", "num:9"]


def test_numbers_inside_words_and_dates() -> None:
    assert number_tokens("the 5 kmart stores") == ["num:5"]  # 'km' is not a unit inside a word
    assert number_tokens("In 2023, 1,200 jobs went") == ["num:2023", "num:1200"]
    assert number_tokens("2022-07-15") == ["num:2022", "num:7", "num:15"]
    assert number_tokens("someone, anyone, nothing") == []


def test_without_amounts_blanks_them_and_keeps_the_words() -> None:
    rest, found = without_amounts("Acme cut 1,200 jobs and prices by 5 per cent.")
    assert rest.split() == ["Acme", "cut", "jobs", "and", "prices", "by", "."]
    assert [a.token for a in found] == ["num:1200", "num:5:pct"]


def test_figures_of_any_script() -> None:
    assert has_figure("现有员工约八百人。")
    assert has_figure("revenue of 31.7 million euros")
    assert not has_figure("Ravel Outdoor's bicycle revenue fell sharply.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("现有员工约八百人。", ["num:800"]),
        ("一千二百个岗位", ["num:1200"]),
        ("估值1.2亿美元", ["num:120000000:usd", "num:120000000"]),
        ("降价百分之五", ["num:5:pct", "num:5"]),
        ("二〇二三年", ["num:2023"]),
        # Numerals inside ordinary words are no numbers: "very", "by all means", "a company", "unify".
        ("十分重要，千万不要，一家公司，统一", []),
    ],
)
def test_chinese_numerals(text: str, expected: list[str]) -> None:
    assert number_tokens(text) == expected


def test_chinese_and_arabic_spellings_meet() -> None:
    assert set(number_tokens("约八百人")) == set(number_tokens("约800人"))


def test_found_by_value_and_unit() -> None:
    def tokens(text: str) -> set[str]:
        return set(number_tokens(text))

    assert found("num:1200000000:usd", tokens("Payzo was valued at 1.2 billion."))  # no unit written: the value
    assert not found("num:1200000000:usd", tokens("Payzo was valued at €1.2bn."))  # another currency
    assert found("num:1200", tokens("1.2k jobs")) and not found("num:1300", tokens("1,200 jobs"))
    assert found("num:5", tokens("prices fell 5%"))  # a bare number meets any spelling of its value
    assert not found("num:5:pct", tokens("5 stores closed"))  # a share is found only as a share
    assert found("num:5:pct", tokens("prices fell 5 per cent"))


def test_a_rounded_amount_is_found_where_the_amount_it_rounds_is() -> None:
    def tokens(text: str) -> set[str]:
        return set(number_tokens(text))

    fine = tokens("a record fine of 405 million euros ($402 million)")
    assert found_rounded("num:400000000:usd", fine)  # $402 million to one significant digit
    assert not found_rounded("num:450000000:usd", fine) and not found_rounded("num:400000000:gbp", fine)
    assert not found_rounded("num:400000000:usd", tokens("a fine of $449 million"))  # 12% off: no rounding
    assert found_rounded("num:28:pct", tokens("a 27.9% share")) and not found_rounded("num:27:pct", tokens("a 27.9% share"))
    assert found_rounded("num:5:usd", tokens("$4.96 a gallon"))
    # Counts and years have no rounding: three is not four, 2022 is not 2023.
    assert not found_rounded("num:3", tokens("four factories")) and not found_rounded("num:2022", tokens("in 2023"))
    assert not found_rounded("num:100", tokens("102 people"))
