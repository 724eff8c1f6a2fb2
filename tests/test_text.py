"""Text clean-up, sentence splitting and punctuation pauses."""
from deepstory.text import LINE_PAUSE, PARAGRAPH_PAUSE, clean, sentences_of, split_phrases, split_sentences


def test_clean_normalises_quotes_dashes_ellipses_and_drops_emoji():
    assert clean("“Hi” — she said… ‘ok’ 😀🎉 done...") == '"Hi" — she said… \'ok\' done…'
    assert clean("a\u00a0b\u200bc") == "a bc"
    assert clean("🎉🎉") == ""


def test_sentence_split_keeps_abbreviations_and_initials():
    assert split_sentences("Mr. Smith met Dr. J. R. Jones at 5 p.m. today. Then he left!") == [
        "Mr. Smith met Dr. J. R. Jones at 5 p.m. today.", "Then he left!"]
    assert split_sentences('He said "stop." She ran.') == ['He said "stop."', "She ran."]
    assert split_sentences("It cost 3.50 dollars. Fine") == ["It cost 3.50 dollars.", "Fine"]


def test_pauses_follow_the_original_deepstory_table():
    pauses = [p.pause for p in split_phrases("One, two; three: four… five!")]
    assert pauses == [0.15, 0.2, 0.15, 0.6, 0.3]
    assert [p.pause for p in split_phrases("Really?")] == [0.4]
    assert [p.pause for p in split_phrases("Done.")] == [0.3]
    assert LINE_PAUSE == 0.5 and PARAGRAPH_PAUSE > LINE_PAUSE


def test_sentences_of_drops_unspeakable_parts():
    s = sentences_of("Wait… 🎉. What?!")
    assert [x.text for x in s] == ["Wait…", "What?!"]
    assert sentences_of("— … !") == []
