"""Speakers' settings edited in the front matter text in place (deepstory.speaker_settings): each form a
story may use under `speakers:`, with comments and the script kept exactly."""
from __future__ import annotations

import pytest

from deepstory.errors import StoryError
from deepstory.speaker_settings import set_speakers
from deepstory.story import parse_story


def _set(text: str, changes: dict, names: list[str]) -> str:
    out = set_speakers(text, changes, names)
    parse_story(out)                  # every result is still a story
    return out


def test_bare_voice_with_a_comment_becomes_a_flow_mapping_keeping_the_comment():
    text = "---\nspeakers:\n  Ann: espeak:en-us  # plain\n---\nAnn: Hi.\n"
    assert _set(text, {"Ann": {"pitch": 40}}, ["Ann"]) == \
        "---\nspeakers:\n  Ann: {voice: 'espeak:en-us', pitch: 40}  # plain\n---\nAnn: Hi.\n"


def test_quoted_and_differently_cased_names_are_found():
    text = "---\nspeakers:\n  'Dr. Who': {voice: 'espeak:en-gb'}\n  ann: {}\n---\nDr. Who: Hello.\nAnn: Hi.\n"
    out = _set(text, {"Dr. Who": {"rate": 200}, "Ann": {"speed": 1.5}}, ["Dr. Who", "ann"])
    assert out == ("---\nspeakers:\n  'Dr. Who': {voice: 'espeak:en-gb', rate: 200}\n  ann: {speed: 1.5}\n---\n"
                   "Dr. Who: Hello.\nAnn: Hi.\n")


def test_block_fields_are_set_added_and_removed_on_their_own_lines():
    text = ("---\nspeakers:\n  Ann:\n    # why this voice\n    voice: espeak:en-us  # hers\n    pitch: 20\n"
            "  Bob: {}\ntitle: T\n---\nAnn: Hi.\nBob: Yo.\n")
    out = _set(text, {"Ann": {"pitch": None, "rate": 120, "portrait": "astronaut"}}, ["Ann", "Bob"])
    assert out == ("---\nspeakers:\n  Ann:\n    # why this voice\n    voice: espeak:en-us  # hers\n"
                   "    rate: 120\n    portrait: astronaut\n  Bob: {}\ntitle: T\n---\nAnn: Hi.\nBob: Yo.\n")


def test_one_line_speakers_mapping_is_unfolded_and_missing_speakers_declared():
    text = "---\nspeakers: {Ann: 'espeak:en-us'}\n---\nAnn: Hi.\nBob: Yo.\n"
    with pytest.raises(StoryError):       # as written, Bob is undeclared: the story does not parse
        parse_story(text)
    out = _set(text.replace("Bob: Yo.\n", ""), {"Ann": {"rate": 100}}, ["Ann"])
    assert out == "---\nspeakers:\n  Ann: {voice: 'espeak:en-us', rate: 100}\n---\nAnn: Hi.\n"
    out = _set("---\nspeakers: {Ann: 'espeak:en-us'}\n---\nAnn: Hi.\n", {"Ann": {"voice": "espeak:en-gb"}}, ["Ann"])
    assert "  Ann: {voice: 'espeak:en-gb'}\n" in out


def test_no_front_matter_and_windows_line_ends():
    assert _set("Ann: Hi.\r\nBob: Yo.\r\n", {"Bob": {"voice": "espeak:en-us"}}, ["Ann", "Bob"]) == \
        "---\nspeakers:\n  Ann: {}\n  Bob: {voice: 'espeak:en-us'}\n---\nAnn: Hi.\nBob: Yo.\n"


def test_unknown_fields_and_values_that_are_not_scalars_are_refused():
    with pytest.raises(StoryError, match="cannot set base_dir"):
        set_speakers("Ann: Hi.\n", {"Ann": {"base_dir": "/"}}, ["Ann"])
    with pytest.raises(StoryError, match="text or a number"):
        set_speakers("Ann: Hi.\n", {"Ann": {"voice": ["a"]}}, ["Ann"])
