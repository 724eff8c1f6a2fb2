"""Story texts an attacker or a careless user writes: each gets one clear StoryError, quickly and in
bounded memory (YAML alias bombs, deep nesting, lone surrogates, NULs, huge lines), and per-line work
is linear in the line's length."""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from deepstory.errors import StoryError
from deepstory.story import MAX_LINE_CHARS, parse_story
from modules.facewarp.visemes import track_from_phonemes
from modules.phonemes import Phoneme

BOMB = "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" \
       "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntitle: *e\n---\nNarrator: hi\n"


@pytest.mark.parametrize("text, words", [
    (BOMB, "aliases"),
    (BOMB.replace("title: *e", "fps: *e"), "aliases"),
    ("---\ntitle: " + "[" * 5000 + "\n---\nNarrator: hi\n", "nested"),
    ("---\nspeakers: " + "{a: " * 3000 + "\n---\nNarrator: hi\n", "nested"),
    ("---\ntitle: \"a\x00b\"\n---\nNarrator: hi\n", "not valid YAML"),
    ("Narrator: hello \ud800 there\n", "invalid Unicode"),
    ("Narrator: " + "word " * 2000 + "\n", "split it"),
    ("---\ntitle: " + "x" * 70_000 + "\n---\nNarrator: hi\n", "too long"),
])
def test_hostile_story_gets_one_clear_error_fast(text, words):
    t0 = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(StoryError) as err:
            parse_story(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert words in str(err.value)
    assert "\n" not in str(err.value)
    assert time.perf_counter() - t0 < 5.0
    assert peak < 50e6


def test_a_line_at_the_limit_parses():
    story = parse_story("Narrator: " + ("hello there. " * 400)[:MAX_LINE_CHARS - 20] + "\n")
    assert len(story.lines) == 1


def test_viseme_track_is_linear_in_memory():
    """20,000 phonemes (~27 minutes): the old frames x phonemes matrix needed ~10 GB."""
    phonemes = [Phoneme("aI" if i % 3 else "m", i * 0.08, (i + 1) * 0.08) for i in range(20_000)]
    n = int(20_000 * 0.08 * 25)
    tracemalloc.start()
    try:
        track = track_from_phonemes(phonemes, n, 25.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert track.shape == (n, 6) and np.isfinite(track).all()
    assert peak < 200e6
    # far into the clip the mouth still opens on the vowels and closes on each bilabial
    window = track[39_000:39_012, 0]
    assert window.max() > 0.5 and window.min() < 0.15


@pytest.mark.parametrize("text, words", [
    ("---\nfom: {chekpoint: x.pth}\n---\nNarrator: hi\n", "unknown setting(s) 'chekpoint'; known: config, checkpoint, batch_size, crop_scale"),
    ("---\nsda: {base: face.png}\n---\nNarrator: hi\n", "known: checkpoint, base_image, fast"),
    ("---\nsda: {checkpoint: [1, 2]}\n---\nNarrator: hi\n", "must be a file path"),
    ("---\nfom: {batch_size: 0}\n---\nNarrator: hi\n", "'fom.batch_size' must be a whole number from 1"),
    ("---\nsda: {fast: 'yes'}\n---\nNarrator: hi\n", "'sda.fast' must be true or false"),
    ("---\nbuiltin: {flowres: 32}\n---\nNarrator: hi\n", "known: flow_res, batch"),
])
def test_unknown_engine_settings_are_refused_with_the_known_ones(text, words):
    with pytest.raises(StoryError) as err:
        parse_story(text)
    assert words in str(err.value)
