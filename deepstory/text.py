"""Text clean-up, sentence splitting and the pause lengths punctuation implies.

A line is split into sentences (one subtitle cue each) and each sentence into phrases at commas, colons,
semicolons, dashes and ellipses. Each phrase is synthesized on its own and the phrases are joined with
silences by punctuation, as the original Deepstory did, so pauses do not depend on the voice engine.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Seconds of silence after a phrase, by the punctuation that ends it (the original Deepstory's values).
PAUSES = {".": 0.3, ",": 0.15, "!": 0.3, "?": 0.4, "…": 0.6, ":": 0.15, ";": 0.2, "—": 0.2}
LINE_PAUSE = 0.5          # before a new line
PARAGRAPH_PAUSE = 1.0     # before a new paragraph (blank line in the script)

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "mt", "capt", "col", "gen", "lt", "sgt",
    "no", "vol", "fig", "approx", "dept", "est", "inc", "ltd", "co", "e.g", "i.e", "a.m", "p.m", "u.s",
}
_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "—", "\u2014": "—", "\u2015": "—", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "\ufeff": "",
})


@dataclass(frozen=True)
class Phrase:
    text: str          # what the voice speaks
    pause: float       # seconds of silence after it


@dataclass(frozen=True)
class Sentence:
    text: str                      # as shown in subtitles
    phrases: tuple[Phrase, ...]


def clean(text: str) -> str:
    """Normalise quotes/dashes/spaces, turn '...' into '…', drop emoji, symbols and control characters."""
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    text = re.sub(r"\.{3,}", "…", text)
    text = re.sub(r"(?<=\s)-{2,}(?=\s)|-{2,}", "—", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("So", "Sk", "Cs", "Co", "Cn") or (cat.startswith("C") and ch not in "\t\n"):
            continue       # emoji, pictographs, private use, controls: not speakable
        if cat == "Mn" and kept and unicodedata.category(kept[-1]) in ("So", "Sk"):
            continue
        kept.append(ch)
    return re.sub(r"[ \t]+", " ", "".join(kept)).strip()


def _is_abbreviation(before: str) -> bool:
    word = re.search(r"([A-Za-z](?:\.?[A-Za-z])*)$", before)
    if not word:
        return False
    w = word.group(1).lower()
    return w in _ABBREVIATIONS or len(w) == 1 and w.isalpha() and before[-1].isupper()


def split_sentences(text: str) -> list[str]:
    """Split cleaned text after . ! ? … (with closing quotes) unless the dot ends an abbreviation."""
    sentences, start = [], 0
    for m in re.finditer(r"[.!?…]+[\"')\]]*(?=\s+|$)", text):
        end = m.end()
        if m.group().startswith(".") and len(m.group().rstrip("\"')]")) == 1 and _is_abbreviation(text[start:m.start()]):
            continue
        chunk = text[start:end].strip()
        if chunk:
            sentences.append(chunk)
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def split_phrases(sentence: str) -> list[Phrase]:
    """Phrases of one sentence with the pause each one's closing punctuation implies."""
    parts = re.split(r"(?<=[,;:…—])\s*|\s+(?=—)", sentence)
    phrases: list[Phrase] = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        stripped = part.rstrip("\"')] ")
        mark = stripped[-1] if stripped else ""
        pause = PAUSES.get(mark, 0.0)
        if mark in "!?" and len(stripped) > 1 and stripped[-2] in "!?":
            pause = PAUSES["?"] if "?" in stripped[-2:] else PAUSES["!"]
        spoken = part.strip("—").strip()
        if _speakable(spoken):
            phrases.append(Phrase(spoken, pause))
        elif phrases:    # punctuation alone lengthens the previous pause
            phrases[-1] = Phrase(phrases[-1].text, max(phrases[-1].pause, pause))
    return phrases


def sentences_of(line_text: str) -> list[Sentence]:
    """Cleaned sentences of a script line, each with its phrases; unspeakable sentences are dropped."""
    out = []
    for s in split_sentences(clean(line_text)):
        phrases = split_phrases(s)
        if phrases:
            out.append(Sentence(s, tuple(phrases)))
    return out
