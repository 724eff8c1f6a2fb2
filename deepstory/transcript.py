"""From recognised words to lip-sync phonemes and subtitles (recordings, and voices without a timeline).

Each word's phonemes come from the project's own text-to-phoneme path (espeak-ng's phoneme events for that
word), spread over the word's recognised time span in proportion to espeak's own durations; the gaps between
words are pauses. A given transcript (`--transcript`) replaces the recognised words where they match and
takes its timing from them elsewhere (a word-level alignment), so the subtitles say what the user wrote.
"""
from __future__ import annotations

import difflib
import re

from modules.phonemes import Phoneme

from .recognizer import Word, words_of
from .subtitles import Cue

PAUSE = "_"
CUE_BREAK_S = 0.6         # a silence this long between words starts a new subtitle cue
CUE_MAX_WORDS = 14


def word_phonemes(words: list[Word], voice: str = "en-us") -> tuple[Phoneme, ...]:
    """A contiguous phoneme timeline (espeak mnemonics) from 0 to the last word's end."""
    from modules.tts import espeak
    out: list[Phoneme] = []
    t = 0.0
    for w in words:
        text = re.sub(r"[^\w' -]+", " ", w.text).strip()
        if not text or w.end <= w.start:
            continue
        if w.start > t:
            out.append(Phoneme(PAUSE, t, w.start))
        syn = espeak.synthesize(text, voice, 175, 50)
        starts = [s for _, s in syn.phonemes] + [syn.end_sample]
        segs = [(sym, starts[i], starts[i + 1]) for i, (sym, _) in enumerate(syn.phonemes)
                if starts[i + 1] > starts[i]]
        while segs and segs[0][0].startswith(PAUSE):
            segs.pop(0)
        while segs and segs[-1][0].startswith(PAUSE):
            segs.pop()
        start = max(w.start, t)
        if not segs:
            out.append(Phoneme("@", start, w.end))
        else:
            total = segs[-1][2] - segs[0][1]
            scale = (w.end - start) / total
            for sym, a, b in segs:
                out.append(Phoneme(sym, start + (a - segs[0][1]) * scale, start + (b - segs[0][1]) * scale))
        t = w.end
    return tuple(out)


def align_transcript(text: str, heard: list[Word]) -> list[Word]:
    """The words of `text`, timed by the recognised words they align with (matched words keep their times;
    replaced or inserted runs share the span of the recognised run they stand for)."""
    mine = re.findall(r"\S+", text)
    keys = [" ".join(words_of(w)) for w in mine]
    theirs = [" ".join(words_of(w.text)) for w in heard]
    out: list[Word] = []
    sm = difflib.SequenceMatcher(a=keys, b=theirs, autojunk=False)
    for op, i0, i1, j0, j1 in sm.get_opcodes():
        if op == "delete":
            continue                       # recognised words with no counterpart in the text: dropped
        if op == "equal":
            out += [Word(mine[i], heard[j].start, heard[j].end) for i, j in zip(range(i0, i1), range(j0, j1))]
            continue
        if j1 > j0:                         # replace: spread the text's run over the recognised run's span
            a, b = heard[j0].start, heard[j1 - 1].end
        else:                               # insert: squeeze into the gap at that point
            a = heard[j0 - 1].end if j0 > 0 else 0.0
            b = heard[j0].start if j0 < len(heard) else a + 0.3 * (i1 - i0)
            b = max(b, a + 0.05 * (i1 - i0))
        step = (b - a) / (i1 - i0)
        out += [Word(mine[i], a + k * step, a + (k + 1) * step) for k, i in enumerate(range(i0, i1))]
    return out


def word_cues(words: list[Word], speaker: str = "") -> list[Cue]:
    """Subtitle cues: words grouped into phrases, broken at sentence ends, long silences and 14 words."""
    cues: list[Cue] = []
    group: list[Word] = []

    def flush() -> None:
        if group:
            cues.append(Cue(group[0].start, group[-1].end, speaker, " ".join(w.text for w in group), "recording",
                            len(cues) + 1))
            group.clear()

    for w in words:
        if group and (w.start - group[-1].end > CUE_BREAK_S or len(group) >= CUE_MAX_WORDS):
            flush()
        group.append(w)
        if re.search(r"[.!?…]$", w.text):
            flush()
    flush()
    return cues
