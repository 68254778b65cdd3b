"""The one date reading of files, records, feeds, sitemaps and pages (`read_date`).

Dates are read by dateparser (absolute dates only, a year required); a day/month order that the
value leaves open (05/08/2022, 03/04/2025) is reported, never guessed: the caller keeps no date for
the article and gives the reason as a notice. Unambiguous forms (ISO, RFC 822/2822, 25/03/2025,
"March 4, 2025", other languages) are read to the day as written.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from email.utils import parsedate_to_datetime
from typing import Any

from bot.readers.messages import _shown
from bot.schema import parse_date
from bot.text import normalize_text

# Year first (ISO 8601 and its relatives: 2022-08-05, 2022-8-5, 2022/08/05, 2022-08-05T10:00Z).
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{1,2}))?")


def read_date(value: object) -> tuple[str | None, str | None]:
    """(date as 'YYYY[-MM[-DD]]', None), or (None, why it cannot be read); (None, None) if empty.

    The one date reading of files, records, feeds, sitemaps and pages: the day as written (an
    offset never moves it to another day). Numbers: a year, YYYYMMDD, unix time in seconds or
    milliseconds (UTC). Text: year-first dates, RFC 2822 (email/RSS) dates, else whatever
    dateparser reads as an absolute date with a year, in English or another language; day and month
    in an order the value leaves open are reported, not guessed.
    """
    if value is None or isinstance(value, dt.date):
        return parse_date(value), None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, f"cannot read {_shown(value)}"
    if isinstance(value, int) and 10**7 <= value < 10**8:
        value = str(value)
    text = " ".join(normalize_text(value).split()) if isinstance(value, str) else ""
    if isinstance(value, str) and not text:
        return None, None
    if text.isdigit():
        if len(text) == 8:  # YYYYMMDD
            try:
                return dt.datetime.strptime(text, "%Y%m%d").date().isoformat(), None
            except ValueError:
                return None, f'cannot read "{text}": not a day of the calendar'
        if 9 <= len(text) <= 13:
            value = int(text)
    if isinstance(value, (int, float)):
        if 1000 <= value <= 9999 and value == int(value):
            return str(int(value)), None
        if 1e8 <= value < 1e14:  # unix time, in seconds or (from 1e11 on) milliseconds
            seconds = value / 1000 if value >= 1e11 else value
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date().isoformat(), None
        return None, f"cannot read {_shown(value)}"
    return _read_date_text(text)


@functools.lru_cache(maxsize=4096)
def _read_date_text(text: str) -> tuple[str | None, str | None]:
    """A date written as text (see read_date); cached: feeds repeat their dates."""
    if len(text) > 100:
        return None, f"cannot read {_shown(text)}: too long for a date"
    match = _YEAR_FIRST.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day).isoformat(), None
        except ValueError:
            return None, f'cannot read "{text}": not a day of the calendar'
    match = _YEAR_MONTH.fullmatch(text)
    if match:
        if match.group(2) is None:
            return match.group(1), None
        if 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{int(match.group(2)):02d}", None
        return None, f'cannot read "{text}": there is no month {match.group(2)}'
    try:
        return parsedate_to_datetime(text).date().isoformat(), None
    except (TypeError, ValueError, IndexError):
        pass
    first = _dateparser_reading(text, "DMY")
    found = [first] if first is not None else []
    # Month first can only read it otherwise when the day read could also be a month.
    if first is None or (len(first) == 10 and int(first[8:]) <= 12 and first[5:7] != first[8:]):
        second = _dateparser_reading(text, "MDY")
        found = sorted({*found, *([second] if second is not None else [])})
    if not found:
        return None, f'cannot read "{text}" (write it as YYYY-MM-DD)'
    if len(found) > 1:
        return None, (f'cannot read "{text}": the day and month could be either way round '
                      f"({' or '.join(found)}); write it as YYYY-MM-DD")
    return found[0], None


def _dateparser_reading(text: str, order: str) -> str | None:
    """What dateparser reads in `text` with day/month/year in `order`: English first, then any
    language; only absolute dates that name a year (no 'yesterday', no year taken from today)."""
    for languages in (("en",), None):
        data = _date_parser(order, languages).get_date_data(text)
        day = data.date_obj
        if day is not None:
            if data.period == "year":
                return f"{day.year:04d}"
            if data.period == "month":
                return f"{day.year:04d}-{day.month:02d}"
            return str(day.date().isoformat())
    return None


@functools.lru_cache(maxsize=8)
def _date_parser(order: str, languages: tuple[str, ...] | None) -> Any:
    from dateparser.date import DateDataParser  # type: ignore[import-untyped]

    settings = {"DATE_ORDER": order, "PARSERS": ["custom-formats", "absolute-time"],
                "REQUIRE_PARTS": ["year"], "PREFER_DAY_OF_MONTH": "first",
                "RETURN_AS_TIMEZONE_AWARE": False}
    return DateDataParser(languages=list(languages) if languages else None, settings=settings)
