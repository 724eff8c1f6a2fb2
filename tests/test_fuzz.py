"""Fuzzing what users and attackers send: generated story texts and front matter (aliases, nesting, huge
values, control characters, surrogates, every known key with values of every wrong type) through the parser,
the studio's check/create/update endpoints, and the CLI in a child process under CPU and memory limits.
Property: a parsed story or one clear error, in bounded time and memory, and nothing half-written."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from deepstory.errors import DeepstoryError
from deepstory.story import _SPEAKER_KEYS, _TOP_KEYS, parse_story
from storyfiles import REPO
from webapp import Client, make_app

WRONG_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70), st.floats(allow_nan=True),
    st.text(max_size=30), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                                 max_size=3),
    st.just("x" * 10_000), st.just("\x00"), st.just("../../etc/passwd"), st.just("*a"), st.just("&a [1, *a]"),
)
SCALAR = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none())


def _yaml_value(v) -> str:
    if isinstance(v, str) and v in ("*a", "&a [1, *a]"):
        return v                          # raw YAML: an alias, a self-referencing anchor
    return json.dumps(v, ensure_ascii=False)   # JSON is YAML; strings with \ud800 stay escaped


@st.composite
def front_matters(draw) -> str:
    lines = []
    for key in draw(st.lists(st.sampled_from(sorted(_TOP_KEYS) + ["bogus", "speakers"]), max_size=5, unique=True)):
        if key == "speakers":
            lines.append("speakers:")
            for name in draw(st.lists(st.sampled_from(["Narrator", "Eve", "1bad", "x" * 50, "Zoë"]), max_size=3,
                                      unique=True)):
                spec = {k: draw(WRONG_VALUES) for k in draw(st.lists(st.sampled_from(sorted(_SPEAKER_KEYS) + ["nope"]),
                                                                      max_size=3, unique=True))}
                lines.append(f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(spec, ensure_ascii=False)}")
        else:
            lines.append(f"{key}: {_yaml_value(draw(WRONG_VALUES))}")
    if draw(st.booleans()):
        depth = draw(st.integers(1, 3000))
        lines.append("title: " + "[" * depth + "]" * draw(st.sampled_from([0, depth])))
    if draw(st.booleans()):
        lines.insert(0, "a: &a [x, x, x, x, x, x, x, x]")
        lines.append("fps: [*a, *a, *a, *a, *a, *a, *a, *a]")
    return "---\n" + "\n".join(lines) + "\n---\n"


BODY_LINES = st.sampled_from(["Narrator: Hello there.", "Eve | Hi!", "", "# A title", "Zoë: ça va?",
                              "Unknown Person: who?", ":", "|", "Narrator:", "\x00\x01\x7f", "\ud800 lone",
                              "Narrator: " + "long " * 1000, "<!-- note -->", "…—", "🙂🙂"])
STORIES = st.builds(lambda fm, body: fm + "\n".join(body), front_matters(), st.lists(BODY_LINES, max_size=6))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STORIES)
def test_parser_gives_a_story_or_one_clear_error(text):
    t0 = time.perf_counter()
    try:
        story = parse_story(text)
    except DeepstoryError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg and len(msg) < 2000
    else:
        assert story.lines and all(ln.text for ln in story.lines)
        json.dumps(story.title)          # everything parsed is plain text/number
    assert time.perf_counter() - t0 < 3.0


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return Client(make_app(tmp_path_factory.mktemp("fuzzweb"), SEED_DEMO=False))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@pytest.mark.slow
@given(STORIES)
def test_studio_check_create_update_never_500(client, text):
    body = json.dumps({"text": text})
    r = client.post("/api/check", data=body, content_type="application/json")
    assert r.status_code in (200, 400), r.get_data()[:300]
    r = client.post("/api/stories", data=body, content_type="application/json")
    assert r.status_code in (201, 400), r.get_data()[:300]
    if r.status_code == 201:
        sid = r.get_json()["id"]
        r = client.put(f"/api/stories/{sid}", data=body, content_type="application/json")
        assert r.status_code in (200, 400), r.get_data()[:300]
        assert client.delete(f"/api/stories/{sid}").status_code == 204


def _limit():                        # in the child, before exec: 2 GB of address space, 120 s of CPU
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (120, 120))


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.one_of(STORIES.filter(lambda t: "Narrator: Hello" not in t)))
def test_cli_on_fuzzed_stories_is_one_line_or_a_render(tmp_path_factory, text):
    tmp = tmp_path_factory.mktemp("fuzzcli")
    story = tmp / "f.md"
    story.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = tmp / "out"
    r = subprocess.run([sys.executable, str(REPO / "run_story.py"), str(story), "-o", str(out), "--cache",
                        str(tmp / "c"), "--animator", "still", "-q"], capture_output=True, text=True, timeout=180,
                       preexec_fn=_limit, cwd=tmp)
    if r.returncode == 0:
        assert (out / "f.mp4").stat().st_size > 0
    else:
        assert r.returncode == 2, r.stderr[-2000:]
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr[-2000:]
        assert not out.exists()
    assert not [p for p in tmp.rglob("*") if ".part" in p.name]
