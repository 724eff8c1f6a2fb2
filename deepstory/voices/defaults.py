"""Default voices for speakers whose story names none: neural when the neural voices are installed
(Kokoro styles and piper:joe), espeak-ng otherwise; distinct per speaker, stable per name, and men and
women kept apart where a `gender:` hint or a common first name says which (a narrator may get either).

`DEEPSTORY_DEFAULT_VOICES=espeak` in the environment picks espeak defaults even when neural voices are
installed (fast drafts: espeak speaks ~1000x faster than real time, the neural voices ~3x)."""
from __future__ import annotations

import os

from ..stable_pick import stable_pick

# (spec, gender) in the order a name's hash walks them
NEURAL = [("kokoro:kumo", "male"), ("piper:joe", "male"), ("kokoro:alpha", "female"), ("kokoro:nezumi", "female"),
          ("kokoro:gongitsune", "female"), ("kokoro:tebukuro", "female")]
# Distinct espeak voices: (voice, rate, pitch, gender)
ESPEAK = [("en-us+m3", 170, 45, "male"), ("en+f3", 175, 55, "female"), ("en-us+f4", 180, 60, "female"),
          ("en-gb-scotland+m1", 165, 35, "male"), ("en-us+m7", 175, 40, "male"), ("en-gb-x-rp+f2", 170, 65, "female"),
          ("en-us+klatt2", 170, 50, "male"), ("en-029+f1", 175, 55, "female"), ("en-gb-x-rp+m2", 160, 30, "male"),
          ("en-us+f5", 185, 70, "female")]
FEMALE_NAMES = set("""alice anna anne amy ada beth bella carol clara claire diana dora eileen elena eliza ella emily
emma eva eve fiona grace hannah helen ivy jane jenny julia kate katie laura lily lisa lucy maria mary maya mia
nora olivia rose ruth sara sarah sophie susan tara una vera wendy yennefer zoe zoë ciri triss mother grandma
queen princess witch girl woman lady sister aunt""".split())
MALE_NAMES = set("""adam alan albert alex arthur ben bob carl charles dan david edward eric frank fred george geralt
harry henry jack james jim joe john jonah kevin leo luke mark max mike nick oliver paul peter robert sam simon
steve thomas tom victor will william father grandpa king prince wizard boy man lord brother uncle dandelion""".split())


def gender_of(name: str, hint: str | None = None) -> str | None:
    """'male', 'female' or None (unknown): the story's hint first, else a common first name."""
    if hint in ("male", "female"):
        return hint
    first = name.strip().split()[0].lower() if name.strip() else ""
    return "female" if first in FEMALE_NAMES else "male" if first in MALE_NAMES else None


def neural_available() -> bool:
    if os.environ.get("DEEPSTORY_DEFAULT_VOICES", "").strip().lower() == "espeak":
        return False
    from .kokoro import kokoro_available
    return kokoro_available()


def default_voice_specs(speakers: dict[str, str | None] | list[str]) -> dict[str, tuple[str, int | None, int | None]]:
    """name -> (spec, rate, pitch) for each speaker; `speakers` maps names to gender hints (or lists names)."""
    hints = speakers if isinstance(speakers, dict) else {n: None for n in speakers}
    neural = neural_available()
    if neural:
        from .piper import list_piper_voices
        have_piper = bool(list_piper_voices())
        pool = [(s, None, None, g) for s, g in NEURAL if have_piper or not s.startswith("piper:")]
    else:
        pool = []
    pool += [(f"espeak:{v}", r, p, g) for v, r, p, g in ESPEAK]
    taken: set[int] = set()
    out = {}
    for name, hint in hints.items():
        gender = gender_of(name, hint)
        # neural voices first, then espeak; within them the speaker's gender (any, if unknown)
        for tier in (neural, False):
            idx = [i for i, (s, _, _, g) in enumerate(pool) if i not in taken and s.startswith("espeak:") != tier
                   and (gender is None or g == gender)]
            if idx:
                pick = idx[stable_pick(name, len(idx), set())]
                taken.add(pick)
                spec, rate, pitch, _ = pool[pick]
                out[name] = (spec, rate, pitch)
                break
        else:                                      # every voice of that gender is taken: share one
            spec, rate, pitch, _ = pool[stable_pick(name, len(pool), set())]
            out[name] = (spec, rate, pitch)
    return out
