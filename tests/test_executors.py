"""Clip tasks rendered serially, on local worker processes and on Ray give the same bytes; a worker killed
mid-clip costs a retry, not the render; cancel keeps finished clips and writes no output."""
from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path

import pytest

from deepstory.executors import InProcessExecutor
from deepstory.pipeline import render_story
from deepstory.process_executor import ProcessExecutor
from deepstory.progress import RenderCancelled
from deepstory.story import load_story
from storyfiles import TWO, LogReporter, make_story_dir, run_cli

TEN = "".join(f"{who}: {text}\n" for who, text in [
    ("Narrator", "The lighthouse stood alone."), ("Eileen", "Is anyone up there?"),
    ("Narrator", "Nobody answered her."), ("Eileen", "I will climb, then."),
    ("Narrator", "The stairs were narrow."), ("Eileen", "Almost at the top now!"),
    ("Narrator", "A lamp was burning."), ("Eileen", "Who lit it?"),
    ("Narrator", "The keeper smiled."), ("Eileen", "Hello, old friend.")])


@pytest.fixture(scope="module")
def story_file(tmp_path_factory) -> Path:
    return make_story_dir(tmp_path_factory.mktemp("story"), TEN, speakers=TWO, animator="builtin",
                          extra="framing: fit")


def _clips(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (cache / "animate").rglob("*.mp4")}


@pytest.fixture(scope="module")
def serial(story_file, tmp_path_factory):
    root = tmp_path_factory.mktemp("serial")
    r = render_story(load_story(story_file), root / "out", cache_dir=root / "cache", executor=InProcessExecutor())
    return r, _clips(root / "cache"), root / "cache"


def _render_killing_one(story_file, serial, tmp_path, executor, kill_one):
    """Render from the serial voice stage with a worker killed on the first finished clip; the render must
    retry the lost clip(s) and end byte-identical to the serial one."""
    rep = LogReporter(on_step=kill_one)
    r = render_story(load_story(story_file), tmp_path / "out", cache_dir=_voiced_cache(serial, tmp_path / "cache"),
                     reporter=rep, executor=executor)
    assert any("worker died; trying again" in line for line in rep.messages), rep.messages
    assert _clips(tmp_path / "cache") == serial[1]
    assert r.video.read_bytes() == serial[0].video.read_bytes()


def _voiced_cache(serial, dst: Path) -> Path:
    """A cache holding only the serial render's voice stage: espeak's klatt variants add random noise, so
    two synthesis runs differ; the executors are compared on the same speech, from drive on."""
    shutil.copytree(serial[2] / "voice", dst / "voice")
    return dst


@pytest.mark.slow
def test_jobs_2_renders_the_same_bytes_as_serial(story_file, serial, tmp_path):
    cache = _voiced_cache(serial, tmp_path / "cache")
    r = run_cli(str(story_file), "-o", str(tmp_path / "out"), "--cache", str(cache), "--jobs", "2", "-q")
    assert r.returncode == 0, r.stderr[-2000:]
    clips = _clips(tmp_path / "cache")
    assert len(clips) == 10 and clips == serial[1]
    assert (tmp_path / "out" / "tale.mp4").read_bytes() == serial[0].video.read_bytes()


@pytest.mark.slow
def test_a_worker_killed_mid_render_costs_a_retry_not_the_render(story_file, serial, tmp_path):
    executor = ProcessExecutor(2)
    killed: list[int] = []

    def kill_one(stage: str) -> None:
        if stage == "animate" and not killed:          # after the first clip lands, others are in flight
            pids = executor.worker_pids()
            if pids:
                killed.append(pids[0])
                os.kill(pids[0], signal.SIGKILL)
    _render_killing_one(story_file, serial, tmp_path, executor, kill_one)
    assert killed and executor.worker_pids() == []                 # the render's end stopped its workers


@pytest.mark.slow
def test_cancel_mid_render_keeps_finished_clips_and_writes_no_output(story_file, tmp_path):
    rep = LogReporter()
    with pytest.raises(RenderCancelled):
        render_story(load_story(story_file), tmp_path / "out", cache_dir=tmp_path / "cache", reporter=rep,
                     executor=ProcessExecutor(2), cancel=lambda: rep.rendered["animate"] >= 3)
    assert 3 <= len(_clips(tmp_path / "cache")) < 10
    assert not (tmp_path / "out").exists()
    again = LogReporter()
    render_story(load_story(story_file), tmp_path / "out", cache_dir=tmp_path / "cache", reporter=again)
    assert again.reused["animate"] >= 3 and again.rendered["animate"] + again.reused["animate"] == 10


@pytest.mark.slow
def test_ray_renders_the_same_bytes_and_survives_a_killed_actor(story_file, serial, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray comes with `make test` (requirements-ray.txt)")
    from deepstory.ray_executor import RayExecutor
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        executor = RayExecutor("auto")
        assert executor.workers == 2
        killed: list[int] = []

        def kill_one(stage: str) -> None:
            if stage == "animate" and not killed:
                pid = executor.actor_pids()[0]
                killed.append(pid)
                threading.Thread(target=os.kill, args=(pid, signal.SIGKILL)).start()
        _render_killing_one(story_file, serial, tmp_path, executor, kill_one)
        assert killed
    finally:
        ray.shutdown()


def test_bad_jobs_and_unreachable_ray_are_one_line_errors(story_file, tmp_path):
    r = run_cli(str(story_file), "-o", str(tmp_path / "o"), "--jobs", "-3", "-q")
    assert r.returncode == 2 and r.stderr.startswith("error: --jobs") and "Traceback" not in r.stderr


@pytest.mark.slow
def test_the_studio_renders_through_its_configured_executor(tmp_path):
    from webapp import Client, make_app, story_text
    with pytest.raises(Exception, match="unknown render executor 'threads'"):
        make_app(tmp_path / "bad", SEED_DEMO=False, RENDER_EXECUTOR="threads")
    app = make_app(tmp_path, SEED_DEMO=False, RENDER_EXECUTOR="processes:2")
    client = Client(app)
    story = client.new_story(story_text("Narrator: One.\nEileen: Two.\nNarrator: Three.\n", animator="builtin",
                                        speakers={"Narrator": {"voice": "espeak:en-us"},
                                                  "Eileen": {"voice": "espeak:en-gb+f3"}}))
    job = client.wait(client.render(story["id"])["id"], timeout=240)
    assert job["status"] == "done", job
    assert job["stages"]["animate"]["rendered"] == 3
