"""Phoneme timeline -> mouth shape per frame: a viseme table and coarticulation smoothing.

Symbols come either as espeak mnemonics ('m', 'aI', 'O:', "'oU", '_:') or as IPA ('m', 'aɪ', 'ɔː', 'ˈoʊ').
Each phoneme gets a target (open, wide, round, press, tuck, tongue: separate channels, see motion.py) and a
dominance; the track at a time is the dominance-weighted mix of nearby targets (Cohen-Massaro style), so
neighbours shape each other the way lips do, while strong visemes (lip closure on m/b/p, pauses) still reach
their targets. Rounding is anticipated: a rounded vowel pulls the lips forward from further ahead (people
round on the consonants before an "oo") than it lingers after.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from modules.phonemes import Phoneme


class Viseme(NamedTuple):
    open: float        # 0 closed .. 1 wide open
    wide: float        # -1 pursed .. 1 spread
    round: float       # 0 .. 1
    dominance: float   # how strongly it resists its neighbours
    press: float = 0.0   # lips pressed together (m b p)
    tuck: float = 0.0    # lower lip under the upper teeth (f v)
    tongue: float = 0.0  # tongue tip behind the upper teeth (t d n l th)


REST = Viseme(0.0, 0.0, 0.0, 1.2)          # pauses: lips shut
CLOSED = Viseme(0.0, 0.0, 0.0, 1.0, press=1.0)        # m b p (closure itself is enforced below)
LABIODENTAL = Viseme(0.12, 0.1, 0.0, 1.6, tuck=1.0)   # f v
DENTAL = Viseme(0.22, 0.15, 0.0, 1.3, tongue=1.0)     # th
ALVEOLAR = Viseme(0.2, 0.1, 0.0, 1.3, tongue=0.8)     # t d n l
SIBILANT = Viseme(0.16, 0.2, 0.0, 1.3, tongue=0.3)    # s z: teeth nearly together, the tongue behind them
POSTALV = Viseme(0.22, -0.2, 0.5, 1.2)     # sh zh ch j
VELAR = Viseme(0.28, 0.0, 0.0, 1.2)         # k g ng h
W_GLIDE = Viseme(0.12, -0.6, 0.9, 1.4)
J_GLIDE = Viseme(0.2, 0.4, 0.0, 0.9)

V = Viseme
_VOWELS: dict[str, Viseme] = {
    # open vowels
    "a": V(0.95, 0.2, 0.0, 1.0), "A": V(1.0, 0.0, 0.1, 1.0), "A:": V(1.0, 0.0, 0.1, 1.0),
    "aa": V(0.95, 0.1, 0.0, 1.0), "a#": V(0.75, 0.1, 0.0, 1.0), "aI": V(0.9, 0.3, 0.0, 1.0),
    "aU": V(0.85, -0.1, 0.3, 1.0), "aI@": V(0.85, 0.2, 0.0, 1.0), "aU@": V(0.8, -0.1, 0.3, 1.0),
    "A@": V(0.9, 0.0, 0.1, 1.0), "V": V(0.8, 0.0, 0.0, 1.0), "0": V(0.8, -0.2, 0.4, 1.0),
    "E": V(0.65, 0.4, 0.0, 0.9), "e@": V(0.65, 0.3, 0.0, 0.9), "a2": V(0.7, 0.1, 0.0, 0.9),
    # mid / close front
    "e": V(0.45, 0.5, 0.0, 0.8), "eI": V(0.5, 0.5, 0.0, 0.8), "@": V(0.35, 0.0, 0.0, 0.6),
    "@2": V(0.3, 0.0, 0.0, 0.6), "@5": V(0.3, 0.0, 0.0, 0.6), "3": V(0.4, 0.0, 0.2, 0.6),
    "3:": V(0.45, 0.0, 0.3, 0.7), "@L": V(0.3, 0.0, 0.0, 0.6), "I": V(0.3, 0.55, 0.0, 0.7),
    "I2": V(0.3, 0.5, 0.0, 0.7), "i": V(0.25, 0.7, 0.0, 0.7), "i:": V(0.25, 0.8, 0.0, 0.8),
    "i@": V(0.4, 0.5, 0.0, 0.8), "i@3": V(0.4, 0.5, 0.0, 0.8),
    # rounded
    "O": V(0.75, -0.3, 0.6, 1.0), "O:": V(0.75, -0.3, 0.6, 1.0), "O@": V(0.7, -0.3, 0.6, 1.0),
    "OI": V(0.7, -0.2, 0.5, 1.0), "o@": V(0.65, -0.3, 0.6, 1.0), "o": V(0.55, -0.5, 0.75, 1.0),
    "oU": V(0.55, -0.5, 0.8, 1.0), "u": V(0.3, -0.8, 0.95, 1.0), "u:": V(0.3, -0.8, 0.95, 1.0),
    "U": V(0.35, -0.6, 0.75, 0.9), "U@": V(0.4, -0.5, 0.7, 0.9), "y": V(0.3, -0.7, 0.9, 1.0),
}
_CONSONANTS: dict[str, Viseme] = {
    "m": CLOSED, "b": CLOSED, "p": CLOSED,
    "f": LABIODENTAL, "v": LABIODENTAL,
    "T": DENTAL, "D": DENTAL,
    "t": ALVEOLAR, "d": ALVEOLAR, "n": ALVEOLAR, "s": SIBILANT, "z": SIBILANT, "l": ALVEOLAR,
    "r": Viseme(0.2, -0.2, 0.4, 0.7), "t#": ALVEOLAR, "d#": ALVEOLAR, "r-": Viseme(0.2, -0.2, 0.4, 0.7),
    "S": POSTALV, "Z": POSTALV, "tS": POSTALV, "dZ": POSTALV,
    "k": VELAR, "g": VELAR, "N": VELAR, "h": VELAR, "x": VELAR, "?": VELAR,
    "w": W_GLIDE, "j": J_GLIDE,
}
# IPA spellings mapped onto the espeak mnemonics above.
_IPA: dict[str, str] = {
    "ɑ": "A", "ɑː": "A:", "æ": "a", "a": "a", "ɐ": "a#", "ʌ": "V", "ɒ": "0", "ɛ": "E", "ɛə": "e@",
    "e": "e", "eɪ": "eI", "ə": "@", "ɚ": "3", "ɜ": "3", "ɜː": "3:", "ɪ": "I", "ᵻ": "I2", "i": "i",
    "iː": "i:", "ɪə": "i@", "ɔ": "O", "ɔː": "O:", "ɔɪ": "OI", "ɔːɹ": "O@", "oː": "o", "o": "o",
    "oʊ": "oU", "əʊ": "oU", "u": "u", "uː": "u:", "ʊ": "U", "ʊə": "U@", "aɪ": "aI", "aʊ": "aU",
    "aɪə": "aI@", "aʊə": "aU@", "ɑːɹ": "A@", "əl": "@L",
    "θ": "T", "ð": "D", "ʃ": "S", "ʒ": "Z", "tʃ": "tS", "dʒ": "dZ", "ŋ": "N", "ɹ": "r", "ɾ": "t#",
    "ʔ": "?", "ɡ": "g", "ɫ": "l", "l̩": "@L", "n̩": "n", "ʍ": "w",
}
EASE_S = 0.022     # lips close/open this fast around a closure (s)
_MARKS = "'ˈˌ,%=!¦^ˑ"   # stress / syllable marks espeak and IPA put on symbols


def _normalise(symbol: str) -> str:
    s = symbol.strip()
    for ch in _MARKS:
        s = s.replace(ch, "")
    return s


def is_pause(symbol: str) -> bool:
    s = _normalise(symbol)
    return s == "" or s.startswith("_") or s in {"#", "||", "|"}


def lookup(symbol: str) -> Viseme:
    """The viseme for one phoneme symbol (espeak mnemonic or IPA); unknown symbols get a neutral
    half-open shape so speech never freezes the mouth."""
    if is_pause(symbol):
        return REST
    s = _normalise(symbol)
    for table in (_VOWELS, _CONSONANTS):
        if s in table:
            return table[s]
    if s in _IPA:
        return lookup(_IPA[s])
    # longest known prefix: 'aI3' -> 'aI', IPA with length/diacritics -> base letter
    for n in range(len(s) - 1, 0, -1):
        head = s[:n]
        if head in _VOWELS or head in _CONSONANTS or head in _IPA:
            return lookup(head)
    return Viseme(0.35, 0.0, 0.0, 0.5)


REACH_TAUS = 40.0       # a phoneme's weight beyond this many taus is < 4e-18: it is left out
ANTICIPATE = 2.5        # rounding reaches this many times further ahead of its phoneme than after it
N_MOUTH = 6             # columns: open, wide, round, press, tuck, tongue (motion.MOUTH)
CHUNK_FRAMES = 512      # frames computed together; memory is O(chunk x nearby phonemes)


def track_from_phonemes(phonemes: Sequence[Phoneme], n_frames: int, fps: float,
                        spread: float = 0.03) -> np.ndarray:
    """(n_frames, 6) float32 [open, wide, round, press, tuck, tongue] from a phoneme timeline.

    Each phoneme's influence falls off as exp(-|t - centre| / tau) with tau = `spread` seconds plus a
    a tenth of its own duration, scaled by its dominance; the value at a frame is the weighted mean of
    targets, averaged over the frame's interval (three sub-samples) so short phonemes are not skipped.
    Frames are computed in chunks against the phonemes near them, so time and memory grow linearly with
    the clip (a whole-clip frames x phonemes matrix was quadratic in the line's length)."""
    out = np.zeros((n_frames, N_MOUTH), np.float32)
    if n_frames == 0 or not phonemes:
        return out
    vis = [lookup(p.symbol) for p in phonemes]
    centre = np.array([(p.start + p.end) / 2 for p in phonemes])
    dur = np.array([max(p.end - p.start, 1e-3) for p in phonemes])
    dom = np.array([v.dominance for v in vis])
    targets = np.array([[v.open, v.wide, v.round, v.press, v.tuck, v.tongue] for v in vis])
    tau = spread + 0.1 * dur
    reach = dur / 2 + REACH_TAUS * tau * ANTICIPATE
    last_end = phonemes[-1].end
    is_rest = np.array([v is REST for v in vis])
    closing = is_rest | np.array([v is CLOSED for v in vis])
    # lips must actually meet on m/b/p and stay shut inside pauses, whatever the neighbours pull:
    # m/b/p: full closure over their middle 60%; pauses: all but 40 ms at each end, and pauses
    # shorter than 80 ms (word joins) close only part way. Ease in/out over EASE_S either side.
    c_centre, c_dur, c_rest = centre[closing], dur[closing], is_rest[closing]
    c_half = np.where(c_rest, np.maximum(c_dur / 2 - 0.04, 0.0), np.maximum(0.3 * c_dur, 0.015))
    c_depth = np.where(c_rest, np.clip((c_dur - 0.04) / 0.08, 0.0, 1.0), 1.0)
    offsets = np.array([1 / 6, 0.5, 5 / 6])
    for f0 in range(0, n_frames, CHUNK_FRAMES):
        f1 = min(n_frames, f0 + CHUNK_FRAMES)
        t = ((np.arange(f0, f1)[:, None] + offsets[None, :]) / fps).reshape(-1, 1)   # (3F, 1)
        lo, hi = t[0, 0], t[-1, 0]
        near = (centre + reach >= lo) & (centre - reach <= hi)
        # inside its own interval a phoneme keeps full weight, so long vowels/pauses hold their shape
        dist = np.maximum(np.abs(t - centre[None, near]) - dur[None, near] / 2, 0.0)
        w = dom[None, near] * np.exp(-dist / tau[None, near])
        # past the end of the timeline the mouth rests
        tail = np.maximum(t[:, 0] - last_end, 0.0)
        rest_w = 1e-3 + 5.0 * (1 - np.exp(-tail / 0.05))
        vals = (w @ targets[near]) / (w.sum(axis=1) + rest_w)[:, None]
        # rounding: phonemes still ahead (t before their start) reach ANTICIPATE times further back
        ahead = (t < (centre[None, near] - dur[None, near] / 2))
        wr = dom[None, near] * np.exp(-dist / (tau[None, near] * np.where(ahead, ANTICIPATE, 1.0)))
        vals[:, 2] = (wr @ targets[near][:, 2]) / (wr.sum(axis=1) + rest_w)
        shutting = (c_centre + c_half + EASE_S >= lo) & (c_centre - c_half - EASE_S <= hi)
        if shutting.any():
            gap = np.maximum(np.abs(t - c_centre[None, shutting]) - c_half[None, shutting], 0.0)
            shut = (c_depth[None, shutting] * np.clip(1 - gap / EASE_S, 0.0, 1.0)).max(axis=1)
            vals[:, 0] *= 1 - shut
        out[f0:f1] = vals.reshape(f1 - f0, 3, N_MOUTH).mean(axis=1)
    return out
