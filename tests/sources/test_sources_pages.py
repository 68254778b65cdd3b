"""A fetched page is read like an HTML file: tables kept as row sentences, subscription prompts out."""

from __future__ import annotations

from bot.sources.fetch import Fetched
from bot.sources.pages import page_article

PARAGRAPH = ("Ravel Outdoor, the Lyon maker of bicycles and tents, reported its results for the year on "
             "Thursday and said demand for touring bikes had slowed in the second half. ")
PAGE = f"""<html><head><title>Ravel Outdoor results</title></head><body><article>
<h1>Ravel Outdoor results</h1>
<p>{PARAGRAPH * 3}</p>
<table><tr><th>Division</th><th>Revenue</th><th>Change</th></tr>
<tr><td>Bicycles</td><td>31.7 million euros</td><td>-9%</td></tr>
<tr><td>Tents</td><td>12.4 million euros</td><td>+3%</td></tr></table>
<p>{PARAGRAPH * 2}</p>
<div class="note"><p>Subscribe to keep reading. Get unlimited access for just 1 pound a week.</p></div>
</article></body></html>"""


def test_a_fetched_page_keeps_its_table_rows_and_drops_the_subscription_prompt() -> None:
    page = Fetched("https://news.example/ravel", 200, PAGE.encode(), "text/html", "utf-8")
    article = page_article(page)
    assert "Bicycles" in article.text and "31.7 million euros" in article.text
    assert "12.4 million euros" in article.text
    assert "Subscribe" not in article.text and "unlimited access" not in article.text
