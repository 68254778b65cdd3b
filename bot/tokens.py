"""Text -> word tokens of any script, for the answerer, the claim check and the BM25 index.

Words are runs of Unicode letters, marks and digits (Latin with or without accents, Cyrillic, Greek,
Arabic, Devanagari with its vowel signs, ...), NFKC-normalised so that composed and decomposed
accents, full-width letters and digits compare equal. Chinese, Japanese, Thai, Lao, Khmer and
Burmese are written without spaces between words, so a run of those scripts is cut at Chinese
question words and particles ("多少", "什么", "的", ...) and each piece becomes its overlapping
character bigrams ("蓝湾电池" -> "蓝湾", "湾电", "电池"): a question and a passage in those scripts
then share terms the way English ones share words.
"""

from __future__ import annotations

import unicodedata

import regex

# Scripts written without spaces between words. Hangul is written with spaces and stays whole words.
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}ー"
CJK_RUN = regex.compile(rf"[{_UNSPACED}]+")
_LETTER = rf"[\p{{L}}\p{{N}}--[{_UNSPACED}]]"
_PART = rf"[\p{{L}}\p{{M}}\p{{N}}--[{_UNSPACED}]]"
_WORD = regex.compile(rf"[{_UNSPACED}]+|{_LETTER}(?:(?:{_PART}|['’.%$])*(?:{_PART}|%))?", regex.V1)
# Question words and particles that join content words in Chinese: cut there, so "蓝湾电池有多少员工"
# gives "员工" and not "少员".
_CJK_BREAK = regex.compile(r"多少|什么|怎么|怎样|为什么|如何|何时|哪里|哪儿|[吗呢吧的了谁哪几]")


# Accents and breathings (combining diacritics): "São"/"Sao", "Παπαδόπουλος"/"ΠΑΠΑΔΟΠΟΥΛΟΣ" (Greek
# capitals drop the tonos) compare equal once folded. Vowel signs of Indic scripts are other marks.
_DIACRITICS = regex.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Case and accent folded text, for matching: 'ΠΑΠΑΔΟΠΟΥΛΟΣ' and 'Παπαδόπουλος' -> 'παπαδοπουλοσ'."""
    return strip_accents(text.casefold())


def strip_accents(text: str) -> str:
    """The text without its accents and breathings, its case kept: 'Fabergé' -> 'Faberge'."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _DIACRITICS.sub("", unicodedata.normalize("NFD", text)))


def normalize(text: str) -> str:
    """NFKC form of a text (what every tokeniser here reads)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def cjk_terms(run: str) -> list[str]:
    """A run of Han/kana characters -> its overlapping bigrams, cut at question words and particles."""
    out: list[str] = []
    for piece in _CJK_BREAK.split(run):
        if len(piece) == 1:
            out.append(piece)
        out.extend(piece[i : i + 2] for i in range(len(piece) - 1))
    return out


def words(text: str) -> list[str]:
    """Word tokens of a text as written (NFKC; hyphenated words split; Han/kana runs as bigrams)."""
    out: list[str] = []
    for w in _WORD.findall(normalize(text).replace("-", " ").replace("–", " ")):
        if CJK_RUN.fullmatch(w):
            out.extend(cjk_terms(w))
        else:
            out.append(w)
    return out


def spaced(text: str) -> str:
    """The text with every Han/kana run replaced by its bigrams separated by spaces (for tokenisers)."""
    if text.isascii():
        return text
    return CJK_RUN.sub(lambda m: " " + " ".join(cjk_terms(m.group(0))) + " ", normalize(text))
