"""Bad input: one clear line on stderr, exit code 2, no traceback, nothing half-written."""
from __future__ import annotations

import pytest

from storyfiles import THREE, make_story_dir, run_cli

BODY = "Narrator: Hello there.\nEileen: Hi.\n"


def _assert_clean_failure(res, *fragments: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.mark.parametrize("case, edit, fragments", [
    ("missing portrait", ('portrait: "astronaut.jpg"', 'portrait: "nope.jpg"'), ["portrait not found", "nope.jpg"]),
    ("not an image", ('portrait: "astronaut.jpg"', 'portrait: "notes.jpg"'), ["notes.jpg", "not a readable image"]),
    ("unknown voice", ("espeak:en-gb+f3", "espeak:xx-zz"), ["unknown espeak voice", "xx-zz"]),
    ("unknown voice kind", ("espeak:en-gb+f3", "klingon:worf"), ["unknown voice kind"]),
    ("unknown speaker", ("Eileen: Hi.", "Geralt: Hmm."), ["line", "unknown speaker 'Geralt'"]),
    ("bad front matter", ("animator: still", "animator: [still"), ["front matter is not valid YAML"]),
    ("path tricks", ('portrait: "astronaut.jpg"', 'portrait: "../../../../../../etc/shadow"'), ["not a readable image"]),
])
def test_bad_story_inputs(tmp_path, case, edit, fragments):
    story = make_story_dir(tmp_path / "s", BODY, speakers={k: THREE[k] for k in ("Narrator", "Eileen")})
    (tmp_path / "s" / "notes.jpg").write_text("these are not pixels")
    story.write_text(story.read_text().replace(*edit))
    out = tmp_path / "out"
    res = run_cli(str(story), "-o", str(out), "--cache", str(tmp_path / "cache"))
    _assert_clean_failure(res, *fragments)
    assert not (out / "tale.mp4").exists()


def test_empty_story(tmp_path):
    story = tmp_path / "empty.md"
    story.write_text("---\ntitle: nothing\n---\n\n   \n")
    _assert_clean_failure(run_cli(str(story), "-o", str(tmp_path / "o")), "story is empty")


def test_missing_story_file(tmp_path):
    _assert_clean_failure(run_cli(str(tmp_path / "none.md")), "story file not found")


def test_unwritable_output(tmp_path):
    story = make_story_dir(tmp_path / "s", BODY, speakers={k: THREE[k] for k in ("Narrator", "Eileen")})
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    res = run_cli(str(story), "-o", str(blocker / "sub"), "--cache", str(tmp_path / "cache"))
    _assert_clean_failure(res, "output folder", "file.txt")


def test_animate_command_errors(tmp_path):
    _assert_clean_failure(run_cli("animate", "--portrait", str(tmp_path / "x.png"), "--audio", "a.wav",
                                  "-o", str(tmp_path / "o.mp4")), "portrait not found")


@pytest.mark.slow
def test_portrait_without_a_face(tmp_path):
    import cv2
    import numpy as np
    story = make_story_dir(tmp_path / "s", BODY, speakers={k: THREE[k] for k in ("Narrator", "Eileen")},
                           animator="builtin")
    rng = np.random.default_rng(0)
    sky = np.clip(np.linspace(80, 200, 256)[:, None, None] + rng.normal(0, 8, (256, 256, 3)), 0, 255)
    cv2.imwrite(str(tmp_path / "s" / "sky.png"), sky.astype(np.uint8))
    story.write_text(story.read_text().replace('portrait: "astronaut.jpg"', 'portrait: "sky.png"'))
    res = run_cli(str(story), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"))
    _assert_clean_failure(res, "no face found", "sky.png", "no_face: still")
    assert not (tmp_path / "out" / "tale.mp4").exists()
    # the explicit option renders it still instead
    story.write_text(story.read_text().replace("animator: builtin", "animator: builtin\nno_face: still"))
    res = run_cli(str(story), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--quiet")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "tale.mp4").is_file()
