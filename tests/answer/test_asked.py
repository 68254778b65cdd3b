"""What a question asks for, and which of its names the passages mention (bot/answer/asked.py)."""

from __future__ import annotations

import pytest

from bot.answer.asked import (
    asked_kind, asked_sources, asks_source, attributed, gives_asked, names_phrase, question_names, unfound_names,
)
from bot.schema import Passage


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did Xiaomi say it would enter the EV business?", "date"),
        ("In which year was Chery founded?", "year"),
        ("What percentage of the market did Tesla hold?", "percent"),
        ("How much was China's EV market worth in 2020?", "money"),
        ("How many plants does Beijing Hyundai run?", "number"),
        ("Which carmaker is Xiaomi in talks with?", None),  # a name: its kind is not told by spelling
        ("Did BAIC's shares rise?", None),  # yes or no
        ("", None),
    ],
)
def test_the_kind_asked_for_is_told_only_where_an_answers_text_can_show_it(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("answer", "question", "gives"),
    [
        ("Xiaomi said it would enter the EV industry [1].", "When did Xiaomi say it would enter the EV industry?", False),
        ("Xiaomi said so last year [1].", "When did Xiaomi say it would enter the EV industry?", True),
        ("In the first half of 2024 [1].", "When does Xiaomi want to mass-produce?", True),
        ("It happened in 2022 [1].", "When did it happen in 2022?", False),  # the question's own year
        ("Tesla held the third-largest share [1].", "What percentage of the market did Tesla hold?", False),
        ("Tesla held 8.5% [1].", "What percentage of the market did Tesla hold?", True),
        ("It was the largest market [1].", "How much was the market worth?", False),  # "[1]" is no number
        ("It was worth $124.2 billion [1].", "How much was the market worth?", True),
        ("Beijing Automotive [1].", "Which carmaker is Xiaomi in talks with?", True),
    ],
)
def test_an_answer_gives_what_is_asked_only_with_a_value_of_that_kind(answer: str, question: str, gives: bool) -> None:
    assert gives_asked(answer, question) is gives


def test_with_years_an_amount_must_be_for_the_year_asked_about() -> None:
    question = "How much was China's EV market worth in 2020?"
    assert gives_asked("It was valued at $124.2 billion in 2021.", question)
    assert not gives_asked("It was valued at $124.2 billion in 2021.", question, years=True)
    assert gives_asked("It was valued at $98 billion in 2020.", question, years=True)


def test_a_questions_names_are_its_distinctive_capitalised_words() -> None:
    assert question_names("What market share did NIO have in China from January to May 2022?") == [["NIO"], ["China"]]
    names = question_names(
        "The House of Commons speaker, Lindsay Hoyle, signed it. Which Great Wall Motor unit did President Joe Biden's team pick?"
    )
    assert names == [["House", "Commons"], ["Lindsay", "Hoyle"], ["Great", "Wall"], ["Joe", "Biden"]]
    assert question_names("Which famous Chinese carmakers are homegrown?") == []  # a demonym and an opening word


def test_a_name_is_unfound_when_no_passage_text_title_or_outlet_has_any_of_its_words() -> None:
    passages = [
        Passage("c1", "d1", "Hoyle said the U.S. would follow. Wall Street rose.", "a1", title="Commons votes", source="Reuters"),
        Passage("c2", "d2", "BYD had a 27.9% share; a great year for makers.", "a2"),
    ]
    question = "Did Lindsay Hoyle, the US, Great Wall Motor, NIO, BYD and Reuters agree?"
    # "Hoyle" finds Lindsay Hoyle, "U.S." the US, the outlet Reuters; "great" is not "Great", "Wall" is found.
    assert unfound_names(question, passages) == ["NIO"]
    assert unfound_names("What did Xiaomi agree with Great Wall Motor?", passages[1:]) == ["Xiaomi", "Great Wall"]
    assert unfound_names("What did BYD say?", passages) == []


def test_a_short_form_finds_its_long_form_and_an_acronym_its_initials() -> None:
    passages = [Passage("c1", "d1", "The Federal Reserve, the European Union and the Department of Justice met. "
                                    "British officials agreed.", "a1")]
    question = "Did the Fed, the DOJ, a famous Brit, the ECB and the House of Commons agree?"
    assert unfound_names(question, passages) == ["ECB", "House of Commons"]  # named as the question spells them


def test_a_one_word_name_may_be_a_capitalised_common_word() -> None:
    passages = [Passage("c1", "d1", "Many governments fund the sportsbook industry; a great wall of money.", "a1")]
    # "Governments" and "Sportsbooks" are found in any case (and singular); "Great Wall" still needs its capitals.
    assert unfound_names("Do Governments back the Sportsbooks, as Great Wall says?", passages) == ["Great Wall"]


def test_a_title_with_a_colon_is_one_name_and_a_capital_inside_a_word_is_none() -> None:
    passages = [Passage("c1", "d1", "Breath of the Wild came out in March 2017.", "a1")]
    assert question_names("When was The Legend of Zelda: Breath of the Wild released?") == [
        ["Legend", "Zelda", "Breath", "Wild"]
    ]
    assert unfound_names("When was The Legend of Zelda: Breath of the Wild released?", passages) == []
    assert question_names("When does the iPhone 11 release?") == []
    assert question_names("Which US national park flooded?") == []  # a two-letter abbreviation qualifies


def test_a_demonym_qualifies_and_is_no_name_even_where_its_ending_is_irregular() -> None:
    assert question_names("Which Greek island was hit by an earthquake on Wednesday?") == []
    assert question_names("What percentage of Britons back Dutch plans?") == []
    assert question_names("Which Saudi club did Cristiano Ronaldo join?") == [["Cristiano", "Ronaldo"]]
    # Inside a longer name it is part of it: an article may write "the French presidential election".
    assert question_names("Who won the French Presidential Election?") == [["French", "Presidential", "Election"]]


def test_a_word_opening_a_sentence_after_a_closing_quote_is_no_name() -> None:
    question = "Researchers decoded an error in “The Song of Wade.” Apparently, the monsters were what?"
    assert question_names(question) == [["Song", "Wade"]]


def test_a_name_is_found_whatever_its_accents() -> None:
    passages = [Passage("c1", "d1", "A Faberge egg sold for $30 million at Christie's in London.", "a1")]
    assert unfound_names("A Fabergé egg sold this week. How many were made?", passages) == []
    passages = [Passage("c1", "d1", "The Fabergé egg, one of 50, sold on Tuesday.", "a1")]
    assert unfound_names("How many Faberge eggs were made?", passages) == []


def test_names_are_joined_for_a_sentence() -> None:
    assert names_phrase(["NIO"]) == "NIO"
    assert names_phrase(["NIO", "Great Wall", "NIO", "BYD"]) == "NIO, Great Wall or BYD"


def test_a_why_question_asks_for_a_reason() -> None:
    question = "Why did Ford recall nearly 700,000 SUVs this week?"
    assert asked_kind(question) == "reason"
    assert gives_asked("Ford recalled the SUVs because a fuel injector may crack [1].", question)
    assert gives_asked("The recall aims to prevent engine fires [2].", question)
    assert not gives_asked("Ford recalled nearly 700,000 SUVs this week [1].", question)
    assert asked_kind("Why? Because.") == "reason" and asked_kind("Did Ford say why it recalled the SUVs?") is None


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Which news agency reported the talks between Xiaomi and BAIC?", True),
        ("Which organisation described China's EV market as the largest in the world?", True),
        ("Whose figures are the market shares based on?", True),
        ("According to whom was the market worth $124 billion?", True),
        ("Which research firm estimated the market's value?", True),
        ("Who reported the talks first?", True),
        ("Which company reported record profits?", False),  # the company that did it, not a source
        ("According to a new report, which city is the most expensive?", False),
        ("Who won the Emmy for lead actor?", False),
        ("Which outlet's readers voted for the award?", False),
        ("What organisation, reported by TechCrunch as the developer of ChatGPT, leads?", False),  # the source is given
    ],
)
def test_a_question_asking_for_the_source_of_a_statement_is_told_apart(question: str, asks: bool) -> None:
    assert asks_source(question) is asks


@pytest.mark.parametrize(
    ("sentence", "sources"),
    [
        ("According to the World Economic Forum, China's EV market was the largest in the world.", ["World Economic Forum"]),
        ("According to figures published by EV Volumes, Tesla held the third-largest share.", ["EV Volumes"]),
        ("BYD had a 27.9% share, according to EV Volumes.", ["EV Volumes"]),
        ("Xiaomi is in discussions with Beijing Automotive Group Co, reported Bloomberg citing sources.", ["Bloomberg"]),
        ("The plant's sale was reported by The Wall Street Journal on Monday.", ["Wall Street Journal"]),
        ("Amazon said on Tuesday it would cut jobs, Reuters reported.", ["Amazon", "Reuters"]),
        ("According to the report, the two companies are looking into options.", []),  # no name
        ("The company said it would grow, and on Monday it did.", []),
    ],
)
def test_the_source_a_sentence_attributes_its_statement_to(sentence: str, sources: list[str]) -> None:
    assert attributed(sentence) == sources


def test_the_source_asked_for_is_the_one_the_best_matching_sentence_names() -> None:
    passage = Passage(
        "c1", "d1",
        "According to the World Economic Forum, China's EV market was the largest in the world in 2020, using "
        "statistics from the European Automobile Manufacturers Association and EV Volumes. BYD had a 27.9% "
        "share of the market from January to May 2022, according to EV Volumes. Tesla said it would add a shift.",
        "https://example.com/ev", "China's EV makers", "EV Weekly", "2022-06-30",
    )
    assert asked_sources("Which organisation described China's EV market as the largest in the world?", [passage]) == [
        "World Economic Forum"]
    assert asked_sources("Whose figures put BYD's share at 27.9%?", [passage]) == ["EV Volumes"]
    assert asked_sources("Which carmaker had a 27.9% share?", [passage]) == []  # not a question about a source
    assert asked_sources("Which agency reported the floods in Pakistan?", [passage]) == []  # no sentence about them
    cuts = Passage("c2", "d2", "Amazon said on Tuesday it would cut 10,000 jobs, Reuters reported.", "https://example.com/cuts",
                   "Amazon cuts jobs", "Wire", "2022-11-15")
    assert asked_sources("Which agency reported Amazon's job cuts?", [cuts]) == ["Reuters"]  # not the one it names
    sources = ["World Economic Forum"]
    question = "Which organisation described China's EV market as the largest?"
    assert not gives_asked("The European Automobile Manufacturers Association [1]", question, sources=sources)
    assert gives_asked("The World Economic Forum described it so [1].", question, sources=sources)
