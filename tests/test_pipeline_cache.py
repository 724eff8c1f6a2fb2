"""The stage cache: reuse on a second run, one-line edits, portrait swaps, cancellation."""
from __future__ import annotations

from pathlib import Path

import pytest

from deepstory.progress import RenderCancelled

from storyfiles import THREE, THREE_BODY, make_story_dir, render


@pytest.mark.slow
def test_second_run_reuses_everything_and_edits_rerender_only_what_changed(tmp_path):
    story = make_story_dir(tmp_path / "s", THREE_BODY, speakers=THREE)
    cache = tmp_path / "cache"
    first = render(story, tmp_path / "out", cache)
    assert first.reused["animate"] == 0 and first.rendered["animate"] == 5
    assert first.rendered["voice"] > 5

    second = render(story, tmp_path / "out", cache)
    for stage in ("voice", "drive", "animate"):
        assert second.rendered[stage] == 0, stage
    assert second.reused["animate"] == 5 and second.reused["drive"] == 5

    # Edit one line: only its phrases are spoken again, only its clip is driven and animated.
    story.write_text(story.read_text().replace("Me too, sister.", "Me too, dear sister."))
    third = render(story, tmp_path / "out", cache)
    assert third.rendered["voice"] == 1
    assert third.rendered["drive"] == 1 and third.rendered["animate"] == 1
    assert third.reused["animate"] == 4

    # Swap Eileen's portrait: no speech, no motion; only her two clips are animated again.
    story.write_text(story.read_text().replace('portrait: "astronaut.jpg"', 'portrait: "hopper.jpg"'))
    fourth = render(story, tmp_path / "out", cache)
    assert fourth.rendered["voice"] == 0 and fourth.rendered["drive"] == 0
    assert fourth.rendered["animate"] == 2 and fourth.reused["animate"] == 3

    # Change Twin's voice: only Twin's line is spoken, driven and animated again.
    story.write_text(story.read_text().replace("espeak:en-us+f4", "espeak:en-us+f2"))
    fifth = render(story, tmp_path / "out", cache)
    assert fifth.rendered["voice"] == 2      # "Me too," + "dear sister."
    assert fifth.rendered["drive"] == 1 and fifth.rendered["animate"] == 1 and fifth.reused["animate"] == 4


def test_cancel_keeps_finished_clips_and_writes_no_output(tmp_path):
    story = make_story_dir(tmp_path / "s", THREE_BODY, speakers=THREE)
    cache, out = tmp_path / "cache", tmp_path / "out"
    calls = {"n": 0}

    def cancel_after_a_while() -> bool:
        calls["n"] += 1
        return calls["n"] > 20

    with pytest.raises(RenderCancelled, match="cached"):
        render(story, out, cache, cancel=cancel_after_a_while)
    assert not (out / "tale.mp4").exists()
    assert not list(out.glob("*.part*"))
    resumed = render(story, out, cache)
    assert sum(resumed.reused.values()) > 0
    assert (out / "tale.mp4").is_file()


def test_outputs_are_written_atomically_with_normal_permissions(tmp_path):
    import os
    import stat

    from deepstory.cache import atomic_write

    target = tmp_path / "out.bin"
    target.write_bytes(b"finished before")

    def broken_writer(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")
    with pytest.raises(OSError):
        atomic_write(target, broken_writer)
    assert target.read_bytes() == b"finished before" and list(tmp_path.iterdir()) == [target]
    atomic_write(target, lambda p: p.write_bytes(b"new"))
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_speakers_without_portrait_or_voice_get_distinct_stable_defaults(tmp_path):
    from deepstory.pipeline import resolve_cast
    from deepstory.story import parse_story
    story = parse_story("Alice: Hi.\nBob: Hello.\nCarol: Hey.\nThey all waved.")
    cast = resolve_cast(story)
    digests = [p.digest for p in cast.portraits.values()]
    voices = [v.cache_key()["voice"] for v in cast.voices.values()]
    assert len(set(digests)) == 4 and len(set(voices)) == 4
    again = resolve_cast(parse_story("Carol: Hey.\nAlice: Hi.\nBob: Hello.\nThey all waved."))
    assert again.portraits["Alice"].digest == cast.portraits["Alice"].digest


def test_swap_to_a_portrait_of_another_size_reanimates_only_that_speaker(tmp_path):
    from deepstory.media import probe
    speakers = {"Narrator": {"voice": "espeak:en-us+m3", "portrait": "hopper.jpg"},
                "Eileen": {"voice": "espeak:en-gb+f3", "portrait": "hopper.jpg"}}
    body = "Narrator: One.\nEileen: Two.\nNarrator: Three.\n"
    story = make_story_dir(tmp_path / "s", body, speakers=speakers, extra="aspect: source\nframing: fit")
    cache, out = tmp_path / "cache", tmp_path / "out"
    render(story, out, cache)
    assert (probe(out / "tale.mp4").width, probe(out / "tale.mp4").height) == (110, 128)   # hopper is 512x600
    # Eileen gets the square astronaut: the story frame grows to 128x128, Narrator's clips are letterboxed
    story.write_text(story.read_text().replace('Eileen: {voice: "espeak:en-gb+f3", portrait: "hopper.jpg"}',
                                               'Eileen: {voice: "espeak:en-gb+f3", portrait: "astronaut.jpg"}'))
    swap = render(story, out, cache)
    assert swap.rendered["animate"] == 1 and swap.reused["animate"] == 2
    info = probe(out / "tale.mp4")
    assert (info.width, info.height) == (128, 128) and abs(info.video_seconds - info.audio_seconds) < 0.04
    assert info.frames == round(info.video_seconds * 25)


@pytest.mark.slow
def test_clips_framed_in_the_animate_pass_are_the_clips_a_later_frame_pass_makes(tmp_path):
    """A fresh render frames each clip while animating it (one render, no second decode pass); the clips it
    makes are byte for byte those the frame pass makes later from the cached animated clips."""
    import shutil

    from deepstory.executors import InProcessExecutor
    story = make_story_dir(tmp_path / "s", THREE_BODY, speakers=THREE, animator="builtin",
                           extra="captions: burn")
    cache = tmp_path / "cache"
    executor = InProcessExecutor()
    first = render(story, tmp_path / "out1", cache, executor=executor)
    assert first.rendered["animate"] == 5 and first.rendered["frame"] == 5
    assert len(executor.framed) == 5                    # every framed clip came out of the animate pass
    shutil.rmtree(cache / "fit")
    again = InProcessExecutor()
    second = render(story, tmp_path / "out2", cache, executor=again)
    assert second.rendered["animate"] == 0 and second.rendered["frame"] == 5 and not again.framed
    assert (tmp_path / "out2" / "tale.mp4").read_bytes() == (tmp_path / "out1" / "tale.mp4").read_bytes()
