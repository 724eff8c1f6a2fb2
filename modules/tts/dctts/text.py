"""Deepstory's text pipeline for DCTTS: normalisation, vocabulary lookup, end-of-sentence token.

The rules (and their order) reproduce Deepstory's `normalize_text`; numbers are not expanded, anything
outside the vocabulary becomes a space, and there is no padding.
"""
from __future__ import annotations

import re

from unidecode import unidecode

PAD, EOS = "P", "E"

_TRAILING_ELLIPSIS = re.compile(r"(\.\.\.)$|…$")
# Brackets, colon, semicolon, space + opening curly quote, spaced dashes, runs of hyphens, ellipses, em dash.
_PAUSE_MARKS = re.compile(r"\(|\)|:|;| “|(\s*-+\s+)|(\s+-+\s*)|\s*-{2,}\s*|(\.\.\.)|…|—")
_COMMA_RUN = re.compile(r"\s*,[^\w]*,\s*")
_COMMA_SPACING = re.compile(r"\s*,\s*")
_STOP_COMMA = re.compile(r"\.,")
_CURLY_QUOTES = re.compile(r"[‘’“”]")
_SPACES = re.compile(r" +")


def normalize_text(text: str, vocab: str) -> str:
    """The text exactly as the original voice reads it (before the EOS symbol is added)."""
    text = _TRAILING_ELLIPSIS.sub(".", text)
    text = _PAUSE_MARKS.sub(", ", text)
    text = _COMMA_RUN.sub(", ", text)
    text = _COMMA_SPACING.sub(", ", text)
    text = _STOP_COMMA.sub(".", text)
    text = _CURLY_QUOTES.sub("", text)
    text = unidecode(text).lower()
    text = re.sub(f"[^{re.escape(vocab)}]", " ", text)
    return _SPACES.sub(" ", text).strip()


def text_to_ids(text: str, vocab: str) -> list[int]:
    """Normalised text + EOS as vocabulary indices (P=0, E=1)."""
    index = {symbol: i for i, symbol in enumerate(vocab)}
    return [index[ch] for ch in normalize_text(text, vocab) + EOS]
