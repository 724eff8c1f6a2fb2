"""Story script parsing: a table of cases, the errors users can cause, and a property test."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from deepstory.errors import DeepstoryError, StoryError
from deepstory.story import parse_story

FM = """---
title: The Portal
default_speaker: Narrator
speakers:
  Narrator: {voice: "espeak:en-us+m3"}
  Yennefer: {voice: "espeak:en-gb+f3", portrait: portraits/yen.jpg, rate: 160}
animator: still
---
"""


@pytest.mark.parametrize("body, expected", [
    ("Narrator: The night was cold.", [("Narrator", "The night was cold.")]),
    ("Yennefer | I hate portals.", [("Yennefer", "I hate portals.")]),
    ("A line with no speaker.", [("Narrator", "A line with no speaker.")]),
    ("yennefer: lower-case name matches.", [("Yennefer", "lower-case name matches.")]),
    ("The time was 5:30 exactly.", [("Narrator", "The time was 5:30 exactly.")]),
    ("Note that: this is narration.", [("Narrator", "Note that: this is narration.")]),
    ("# A heading\nNarrator: text", [("Narrator", "text")]),
    ("<!-- a comment -->\nNarrator: text", [("Narrator", "text")]),
])
def test_lines_and_speakers(body, expected):
    story = parse_story(FM + body)
    assert [(ln.speaker, ln.text) for ln in story.lines] == expected


def test_front_matter_values_and_paragraphs():
    story = parse_story(FM + "Narrator: One.\n\n\nYennefer | Two.\nThree.\n", name="portal")
    assert story.title == "The Portal" and story.animator == "still" and story.name == "portal"
    assert [ln.paragraph for ln in story.lines] == [False, True, False]
    assert [ln.number for ln in story.lines] == [9, 12, 13]
    yen = story.speakers["Yennefer"]
    assert (yen.voice, yen.portrait, yen.rate) == ("espeak:en-gb+f3", "portraits/yen.jpg", 160)


def test_no_front_matter_names_new_speakers():
    story = parse_story("Alice: Hi Bob.\nBob | Hi Alice.\nThey waved.")
    assert [ln.speaker for ln in story.lines] == ["Alice", "Bob", "Narrator"]
    assert list(story.speakers) == ["Alice", "Bob", "Narrator"]
    assert story.title == "story" and story.animator == "builtin"


def test_sentences_and_heading_title():
    story = parse_story("# My Title\nNarrator: First one. Second one! Third?")
    assert story.title == "My Title"
    assert [s.text for s in story.lines[0].sentences] == ["First one.", "Second one!", "Third?"]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("\n\n   \n", "empty"),
    ("---\ntitle: x\n", "no closing"),
    ("---\ntitle: [unclosed\n---\nhi", "not valid YAML"),
    ("---\n- a list\n---\nhi", "key: value"),
    ("---\ntitel: typo\n---\nhi", "unknown setting"),
    ("---\nanimator: magic\n---\nhi", "animator must be"),
    ("---\nfps: 0\n---\nhi", "fps"),
    ("---\nspeakers:\n  A: {voic: x}\n---\nA: hi", "unknown setting"),
    (FM + "Geralt: Hmm.", "unknown speaker 'Geralt'"),
    (FM + "Ciri | Hello.", "unknown speaker 'Ciri'"),
    (FM + "Yennefer |   ", "nothing to say"),
    (FM + "Narrator: 🎉🎉🎉", "nothing speakable"),
])
def test_bad_stories_raise_one_clear_error(text, message):
    with pytest.raises(StoryError, match=message):
        parse_story(text)


def test_line_number_in_unknown_speaker_error():
    with pytest.raises(StoryError, match=r"^line 10: unknown speaker"):
        parse_story(FM + "Narrator: fine.\nGeralt: Hmm.")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_gives_a_story_or_a_deepstory_error(text):
    try:
        story = parse_story(text)
    except DeepstoryError:
        return
    assert story.lines and all(ln.sentences for ln in story.lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["---", "Narrator:", "A |", ":", "|", "speakers:", "  x: 1", "\n", "…", "—",
                                 "Hello.", "title: t", "- x", "{", "}", "'", '"', "\t", "Mr.", "😀"]),
                max_size=30))
def test_structured_garbage_never_crashes(parts):
    try:
        parse_story(" ".join(parts).replace(" \n ", "\n"))
    except DeepstoryError:
        pass


def test_every_problem_is_reported_at_once():
    text = ("---\nanimator: nope\nfps: 500\nspeakers:\n  Ann: {voice: 'espeak:en-us'}\n---\n"
            "Ann: fine line.\nBob: who is Bob?\nAnn:\nAnn: also fine.\nCarl: and Carl?\n")
    with pytest.raises(StoryError) as err:
        parse_story(text)
    problems = err.value.problems
    assert len(problems) == 5, problems
    assert problems[0].startswith("front matter: animator must be one of")
    assert any("fps" in p for p in problems)
    assert [p.split(":")[0] for p in problems if p.startswith("line")] == ["line 8", "line 9", "line 11"]
    # the message (what the CLI prints on one line) is the first problem and how many more there are
    assert str(err.value).endswith("(and 4 more problems)") and "\n" not in str(err.value)
