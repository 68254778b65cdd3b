"""Article readers: files and records -> `Article`, or `Skipped` saying where and why.

Formats: Markdown/text with optional YAML front matter (`text`), HTML (main text by trafilatura,
tables as row sentences, subscription prompts dropped: `html`), JSON and JSON Lines records
(metadata at the top level or nested under "metadata": `records`); `files` walks folders and picks
the reader by extension. Readers never raise on bad input: every problem becomes a `Skipped` record
("PATH[:LINE]: reason") and reading goes on with the next file or line; what is left out of an
article that is still read (a date that cannot be read, fields not read, an older record of the
same url, a '---' that opens no front matter) becomes a `Notice`.

Dates are read by `dates.read_date` (absolute dates only, a year required); a day/month order that
the value leaves open (05/08/2022) is reported, never guessed. Live sources read their dates with
the same `read_date`. Titles, outlets and authors are plain text (`fields.plain_text`: markup
dropped, character references decoded).

Imports run one way: files -> text, html, records -> fields -> dates -> messages (encoding beside).
"""

from __future__ import annotations

from bot.readers.dates import read_date
from bot.readers.fields import (
    AUTHOR_FIELDS,
    DATE_FIELDS,
    KNOWN_FIELDS,
    META_FIELDS,
    NOTE_FIELDS,
    SOURCE_FIELDS,
    TEXT_FIELDS,
    TITLE_FIELDS,
    URL_FIELDS,
    clean_text,
    html_text,
    plain_text,
)
from bot.readers.files import (
    EXTENSIONS,
    MAX_FILE_BYTES,
    MAX_LINE_BYTES,
    iter_files,
    read_articles,
    read_file,
)
from bot.readers.html import prepare_html

__all__ = [
    "AUTHOR_FIELDS", "DATE_FIELDS", "EXTENSIONS", "KNOWN_FIELDS", "MAX_FILE_BYTES", "MAX_LINE_BYTES",
    "META_FIELDS", "NOTE_FIELDS", "SOURCE_FIELDS", "TEXT_FIELDS", "TITLE_FIELDS", "URL_FIELDS",
    "clean_text", "html_text", "iter_files", "plain_text", "prepare_html", "read_articles",
    "read_date", "read_file",
]
