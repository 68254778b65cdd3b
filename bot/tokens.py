"""Text -> word tokens of any script, for the answerer, the claim check and the BM25 index.

Words are runs of Unicode letters and digits (Latin with or without accents, Cyrillic, Greek, ...),
NFKC-normalised so that composed and decomposed accents, full-width letters and digits compare
equal. Chinese and Japanese are written without spaces, so a run of Han or kana characters is cut
at question words and particles ("多少", "什么", "的", ...) and each piece becomes its overlapping
character bigrams ("蓝湾电池" -> "蓝湾", "湾电", "电池"): a question and a passage in those scripts
then share terms the way English ones share words.
"""

from __future__ import annotations

import re
import unicodedata

# Han (CJK unified ideographs and extensions A, compatibility), hiragana and katakana: scripts
# written without spaces. Hangul is written with spaces and stays whole words.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(rf"[{_CJK}]+")
_LETTER = rf"[^\W_{_CJK}]"
_WORD = re.compile(rf"[{_CJK}]+|{_LETTER}(?:(?:{_LETTER}|['’.%$])*(?:{_LETTER}|%))?")
# Question words and particles that join content words in Chinese: cut there, so "蓝湾电池有多少员工"
# gives "员工" and not "少员".
_CJK_BREAK = re.compile(r"多少|什么|怎么|怎样|为什么|如何|何时|哪里|哪儿|[吗呢吧的了谁哪几]")


def normalize(text: str) -> str:
    """NFKC form of a text (what every tokeniser here reads)."""
    return unicodedata.normalize("NFKC", text)


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
    return CJK_RUN.sub(lambda m: " " + " ".join(cjk_terms(m.group(0))) + " ", normalize(text))
