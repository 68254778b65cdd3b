"""News-aware answers (issue 18): dates in answers, newest wins visibly, disagreements flagged, lists,
counts and timelines, relative dates read against the publish date; the extractive answerer on
hand-made passages, the question readers of bot/temporal.py."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer.extractive import ExtractiveAnswerer
from bot.schema import Hit, Passage
from bot.temporal import (
    can_change, concepts, conflict, one_sentence, question_form, resolve_relative, told_apart, values,
)


def _hit(doc: str, text: str, published: str, source: str = "Harbor Wire", score: float = 0.1) -> Hit:
    p = Passage(f"{doc}:0", doc, text, f"https://example.test/{doc}", f"{doc} story", source, published,
                f"https://example.test/{doc}", None, 0, len(text))
    return Hit(p, score)


@pytest.mark.parametrize(("question", "form"), [
    ("Which companies announced job cuts?", "list"),
    ("Name the firms that recalled products.", "list"),
    ("What products were recalled?", "list"),
    ("How many companies announced layoffs?", "count"),
    ("How many cities have brought in a congestion charge?", "count"),
    ("How has the Lindqvist rail line changed?", "timeline"),
    ("What happened with the Dunmore licence?", "timeline"),
    ("What is the history of the Dunmore licence?", "timeline"),
    # A superlative "in the history of" asks for one holder of a record, not for a history.
    ("Which actor gave the longest speech in the history of the Halvern Awards?", "value"),
    ("Which company holds the Dunmore licence?", "value"),  # one holder, not a list
    ("How many stores will Quillon Foods open?", "value"),  # a figure one article states
    ("How many factories does it run?", "value"),
])
def test_question_forms(question: str, form: str) -> None:
    assert question_form(question) == form


def test_what_can_change() -> None:
    assert can_change("Who runs Castellan Bank?")
    assert can_change("What is the growth forecast?")
    assert not can_change("Which school announced it will eliminate student loans?")
    assert not can_change("Who won the Riverton election?")


def test_relative_dates_are_read_against_the_publish_date() -> None:
    # Monday 16 June 2025's paper: "on Saturday" is the 14th; "yesterday" the 15th; a future "on Friday" the 20th.
    (_, saturday, _), = resolve_relative("The festival opened on Saturday.", "2025-06-16")
    assert saturday == dt.date(2025, 6, 14)
    assert resolve_relative("The road closed yesterday.", "2025-06-16")[0][1] == dt.date(2025, 6, 15)
    assert resolve_relative("The council will meet on Friday.", "2025-06-16")[0][1] == dt.date(2025, 6, 20)
    assert resolve_relative("Sales rose this year.", "2025-06-16")[0][1:] == (dt.date(2025, 1, 1), "year")
    assert resolve_relative("The festival opened on Saturday.", "2025-06") == []  # no day to count from
    # A weekday that comes with its calendar date is not counted from the publish date.
    assert resolve_relative("The port will reopen on Monday, September 5, after repairs.", "2022-08-22") == []
    assert resolve_relative("It opened on Saturday (June 14) downtown.", "2025-06-16") == []


def test_values_conflict_by_amount_year_or_name() -> None:
    q = "How much did Tarnby raise?"
    assert conflict(values("Tarnby raised 21 million euros.", q, "money"), values("Tarnby raised 12m euros.", q, "money"), "money")
    assert not conflict(values("Tarnby raised 12 million euros.", q, "money"), values("Tarnby raised €12m.", q, "money"), "money")
    who = "Who is the chief executive of Castellan Bank?"
    assert conflict(values("Castellan named Tomas Reyl, replacing Mira Okonjo.", who, "name"),
                    values("Castellan named Mira Okonjo.", who, "name"), "name")
    assert concepts("Brenmoor will cut 400 jobs") == concepts("Okafor announced layoffs") == {"job cuts"}


def test_a_value_that_can_change_is_dated() -> None:
    reply = ExtractiveAnswerer().answer("Who runs Castellan Bank?", [
        _hit("a", "Castellan Bank named Mira Okonjo as its chief executive on Tuesday.", "2025-02-11")])
    assert reply.text.startswith("As of 11 February 2025, Castellan Bank named Mira Okonjo")
    assert reply.temporal == "as_of"
    assert reply.citations[0].published == "2025-02-11"


def test_the_newest_value_wins_and_the_earlier_is_mentioned() -> None:
    # The older copy ranks first; the newer one, a day later from the same outlet, differs in the figure.
    old = _hit("old", "Fenwick Air raised 15 million dollars in a round led by Greyfen Capital.", "2023-08-01", score=0.2)
    new = _hit("new", "Fenwick Air raised 50 million dollars in a round led by Greyfen Capital.", "2023-08-02")
    reply = ExtractiveAnswerer().answer("How much did Fenwick Air raise?", [old, new])
    assert reply.temporal == "newest"
    assert reply.text.startswith("As of 2 August 2023, Fenwick Air raised 50 million dollars")
    assert "Earlier, on 1 August 2023: Fenwick Air raised 15 million dollars" in reply.text
    assert [c.published for c in reply.citations] == ["2023-08-02", "2023-08-01"]


def test_an_earlier_mention_keeps_to_the_answer_word_budget() -> None:
    # The same two copies, but long: an earlier figure may take a few words past the budget, an
    # earlier name (far less often the same thing revised) none.
    tail = " in a round led by Greyfen Capital, the company said in a statement on its website"
    old = _hit("old", f"Fenwick Air raised 15 million dollars{tail}.", "2023-08-01", score=0.2)
    new = _hit("new", f"Fenwick Air raised 50 million dollars{tail}.", "2023-08-02")
    question = "How much did Fenwick Air raise?"
    figure = ExtractiveAnswerer(max_words=45).answer(question, [old, new])
    assert "Earlier, on 1 August 2023" in figure.text and len(figure.citations) == 2
    assert len(figure.text.split()) > 45
    assert "Earlier" not in ExtractiveAnswerer(max_words=30).answer(question, [old, new]).text
    a = _hit("a", "Pellas Energy won the licence to develop the Dunmore gas field in a ministry auction, the ministry said.", "2025-03-18")
    b = _hit("b", "The licence to develop the Dunmore gas field was transferred to Corvane Resources after "
                  "Pellas Energy withdrew from the project, the ministry said.", "2025-08-26")
    who = "Which company holds the licence to develop the Dunmore gas field?"
    assert "Earlier" in ExtractiveAnswerer(max_words=60).answer(who, [a, b]).text
    short = ExtractiveAnswerer(max_words=40).answer(who, [a, b])
    assert "Earlier" not in short.text and "Corvane Resources" in short.text


def test_a_habitual_fact_has_no_newest_value() -> None:
    # Two names of one yearly holiday, years apart: not a value that changed, and not dated.
    hits = [_hit("a", "Presidents Day is celebrated on the third Monday of February every year.", "2024-02-18", score=0.2),
            _hit("b", "Washington's Birthday is celebrated on the third Monday of February every year.", "2024-10-12")]
    question = "Which US holiday is celebrated on the third Monday of February every year?"
    assert not can_change(question)
    reply = ExtractiveAnswerer().answer(question, hits)
    assert reply.temporal is None and not reply.text.startswith("As of") and "Earlier" not in reply.text
    assert reply.text.startswith("Presidents Day")
    # The same passages asked without "every year" are read as a value that changed.
    assert ExtractiveAnswerer().answer("Which US holiday is celebrated on the third Monday of February?", hits).temporal == "newest"


def test_a_later_holder_replaces_the_earlier_one() -> None:
    hits = [_hit("a", "Pellas Energy won the licence to develop the Dunmore gas field, the ministry said.", "2025-03-18"),
            _hit("b", "The licence to develop the Dunmore gas field was transferred to Corvane Resources after "
                      "Pellas Energy withdrew, the ministry said.", "2025-08-26")]
    reply = ExtractiveAnswerer().answer("Which company holds the licence to develop the Dunmore gas field?", hits)
    assert reply.temporal == "newest" and "Corvane Resources" in reply.text.split("Earlier")[0]


def test_outlets_of_about_the_same_date_that_differ_are_flagged() -> None:
    hits = [_hit("a", "About 3,000 workers joined a strike at Halvern Mining on Monday, union leaders said.",
                 "2025-09-22", source="The Northgate Courier"),
            _hit("b", "Some 5,000 workers joined the strike at Halvern Mining on Monday, the union said.",
                 "2025-09-23", source="Eastbank Times")]
    reply = ExtractiveAnswerer().answer("How many workers joined the strike at Halvern Mining?", hits)
    assert reply.temporal == "disagreement"
    assert reply.text.startswith("Sources disagree: ")
    assert "3,000" in reply.text and "5,000" in reply.text and "[1]" in reply.text and "[2]" in reply.text
    assert {c.source for c in reply.citations} == {"The Northgate Courier", "Eastbank Times"}


def test_outlets_that_differ_only_in_names_or_years_tell_two_facts_not_a_disagreement() -> None:
    # Two facts in years: the first rider since 2009, the first woman rider since 1987.
    years = [_hit("a", "Ilse Marrow became the first rider to reach the Calder Cup final since 2009 by beating "
                       "Tomas Vey on Sunday.", "2025-09-07", source="Harbor Wire"),
             _hit("b", "Ilse Marrow became the first woman rider to reach a Calder Cup final since Nadia Olt "
                       "in 1987.", "2025-09-08", source="Eastbank Times")]
    reply = ExtractiveAnswerer().answer("Ilse Marrow became the first rider to reach the Calder Cup final since when?", years)
    assert reply.temporal != "disagreement" and not reply.text.startswith("Sources disagree")
    assert "2009" in reply.text.split("Earlier")[0]
    # One country in two spellings, with other names beside it.
    names = [_hit("a", "U.K. gets a new leader: Ada Penwick to be Britain's new prime minister, replacing "
                       "Hugo Tarr.", "2025-09-06", source="Harbor Wire"),
             _hit("b", "Ada Penwick has become the United Kingdom's new prime minister, succeeding Hugo Tarr, "
                       "who resigned in July.", "2025-09-05", source="Eastbank Times")]
    reply = ExtractiveAnswerer().answer("Ada Penwick became the new prime minister of which country this week?", names)
    assert reply.temporal != "disagreement" and "Earlier" not in reply.text


def test_undated_copies_of_one_sentence_with_other_values_are_flagged_with_their_values() -> None:
    def undated(doc: str, text: str) -> Hit:
        return Hit(Passage(f"{doc}:0", doc, text, doc), 0.1)

    hits = [undated("a", "After 19 days of racing in Valmont, Norway came out on top of the final medal count."),
            undated("b", "After 19 days of racing in Valmont, the U.S. came out on top of the final medal count."),
            undated("c", "Tickets for the Valmont games sold out in March.")]
    reply = ExtractiveAnswerer().answer("Which country won the most medals at the Valmont games?", hits)
    assert reply.temporal == "disagreement"
    assert reply.text in ("Sources disagree: Norway [1]; the U.S. [2].", "Sources disagree: the U.S. [1]; Norway [2].")
    assert len(reply.citations) == 2 and all("came out on top" in c.quote for c in reply.citations)
    # Undated sentences worded otherwise tell two facts: the best one answers alone.
    other = [hits[0], undated("d", "The U.S. finished second in Valmont after 19 days, with 23 medals.")]
    reply = ExtractiveAnswerer().answer("Which country won the most medals at the Valmont games?", other)
    assert reply.temporal is None and reply.text.startswith("After 19 days of racing in Valmont, Norway")


def test_one_sentence_with_other_values_and_what_each_says() -> None:
    assert one_sentence("Damien Chazelle wins Best Director.", "Chloé Zhao wins Best Director.")
    assert not one_sentence("Damien Chazelle wins Best Director.", "Chloé Zhao directed the film in 2020 in Nevada.")
    assert told_apart("Damien Chazelle wins Best Director.", "Chloé Zhao wins Best Director.") == ("Damien Chazelle", "Chloé Zhao")
    assert told_apart("The winner was Norway.", "The winner was the U.S.") == ("Norway", "the U.S.")
    # A changed part of a date takes the whole date.
    assert told_apart("It opens on Wednesday, November 18, 2020 in Bristol.", "It opens on Wednesday, May 8, 2020 in Bristol.") == (
        "November 18, 2020", "May 8, 2020")
    # Two places changed: no single value each.
    assert told_apart("Ann Lee won in 2019 in Oslo.", "Bo Ek won in 2019 in Rome.") == ("", "")


def test_a_correction_is_a_new_version_not_a_disagreement() -> None:
    hits = [_hit("a", "The bridge over Lake Senna will cost 340 million dollars, the council said.", "2025-07-08",
                 source="Riverside Herald"),
            _hit("b", "Correction: the bridge over Lake Senna will cost 430 million dollars, the council said.",
                 "2025-07-09", source="Eastbank Times")]
    reply = ExtractiveAnswerer().answer("How much will the Lake Senna bridge cost?", hits)
    assert reply.temporal == "newest" and "430 million dollars" in reply.text.split("Earlier")[0]


def test_a_list_gathers_one_item_per_article_and_counts_only_the_list() -> None:
    hits = [_hit("a", "Brenmoor Textiles will cut 400 jobs at its mills in Astley.", "2025-04-07"),
            _hit("b", "Okafor Logistics announced 1,250 layoffs on Wednesday.", "2025-04-09"),
            _hit("c", "Pinecrest Software will hire 600 engineers this year.", "2025-04-15"),
            _hit("d", "Halden Glass said it would shed 300 jobs at its furnace in Merrow.", "2025-04-16")]
    listed = ExtractiveAnswerer().answer("Which companies announced job cuts?", hits)
    assert listed.temporal == "list"
    assert all(name in listed.text for name in ("Brenmoor", "Okafor", "Halden")) and "Pinecrest" not in listed.text
    assert len(listed.citations) == 3
    counted = ExtractiveAnswerer().answer("How many companies announced layoffs?", hits)
    assert counted.text.startswith("3, counting one per article")  # never 1,250 or 400: those are jobs
    assert [c.published for c in counted.citations] == ["2025-04-07", "2025-04-09", "2025-04-16"]


def test_a_list_leaves_out_an_article_saying_no() -> None:
    hits = [_hit("a", "Tarrow introduced a congestion charge of 8 dollars a day.", "2025-05-05"),
            _hit("b", "Elmsby introduced a congestion charge of 6 dollars a day.", "2025-05-20"),
            _hit("c", "Dunhallow's council rejected a proposed congestion charge.", "2025-06-09")]
    reply = ExtractiveAnswerer().answer("Which cities introduced a congestion charge?", hits)
    assert "Tarrow" in reply.text and "Elmsby" in reply.text and "Dunhallow" not in reply.text


def test_a_timeline_is_dated_and_oldest_first() -> None:
    hits = [_hit("c", "The Lindqvist rail line has been delayed by a year after engineers found unstable ground.", "2025-07-14"),
            _hit("a", "The government approved the Lindqvist rail line at a cost of 1.1 billion euros.", "2024-11-12"),
            _hit("b", "Construction of the Lindqvist rail line began on Tuesday near Orla.", "2025-03-05")]
    reply = ExtractiveAnswerer().answer("How has the Lindqvist rail line changed?", hits)
    assert reply.temporal == "timeline"
    lines = reply.text.splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["- 12 November 2024", "- 4 March 2025", "- 14 July 2025"]
    assert all(line.endswith(f"[{n}]") for n, line in enumerate(lines, start=1))  # "on Tuesday" is 4 March


def test_a_when_question_gets_the_relative_date_read() -> None:
    reply = ExtractiveAnswerer().answer("On what date did the Fjordane Festival open?", [
        _hit("a", "The Fjordane Festival opened on Saturday with a concert.", "2025-06-16")])
    assert "(Saturday: 14 June 2025)" in reply.text


def test_a_list_keeps_the_articles_that_report_the_event_done() -> None:
    # No known wording for "opened": the articles saying the question's verb are the items; one that
    # closed a plant or only plans to open something is not.
    hits = [_hit("a", "Tovek Batteries opened a plant in Ardmore that will employ 700 people.", "2025-08-04"),
            _hit("b", "Lumen Paints opened a new factory in Corby Hill.", "2025-08-11"),
            _hit("c", "Renwick Tools closed its plant in Ardmore, moving work abroad.", "2025-08-21"),
            _hit("d", "Rosa Vint said the group would open two new plants.", "2025-01-20")]
    reply = ExtractiveAnswerer().answer("Which companies opened new plants?", hits)
    assert reply.temporal == "list"
    assert "Tovek" in reply.text and "Lumen" in reply.text and "Renwick" not in reply.text and "Rosa" not in reply.text


def test_plural_event_words_are_known() -> None:
    assert concepts("Which firms made acquisitions?") == {"acquisition"}
    assert concepts("plant closures") == {"closure"}
