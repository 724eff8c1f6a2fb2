"""`animate --audio` on a real recording (pyannote-audio's sample.wav): the recogniser's words become
SRT/VTT subtitles beside the video and lip-sync phonemes; `--transcript` aligns the user's own text."""
from __future__ import annotations

import re
import numpy as np
import pytest
import soundfile as sf

from builtin_measure import frame_rms, pyannote_sample
from deepstory.audio import resample
from deepstory.engines.base import ClipSpeech
from deepstory.engines.builtin import VisemeDriver
from deepstory.recognizer import Word, recognizer_available, shared_recognizer
from deepstory.transcript import align_transcript, word_cues, word_phonemes
from storyfiles import REPO, run_cli

pytestmark = pytest.mark.skipif(not recognizer_available(), reason="the recogniser comes with `make test`")


@pytest.fixture(scope="module")
def recording(request) -> tuple[np.ndarray, int]:
    audio, sr = pyannote_sample(request.config.cache.mkdir("builtin-sample-audio"))
    return audio, sr


def _stamps(text: str) -> list[tuple[float, float]]:
    pattern = r"(\d+):(\d+):(\d+)[,.](\d+) --> (\d+):(\d+):(\d+)[,.](\d+)"

    def sec(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
    return [(sec(*g[:4]), sec(*g[4:])) for g in re.findall(pattern, text)]


@pytest.mark.slow
def test_animate_writes_subtitles_that_fall_on_speech(tmp_path, recording):
    audio, sr = recording
    wav = tmp_path / "rec.wav"
    sf.write(wav, audio[: 12 * sr], sr)
    out = tmp_path / "out.mp4"
    r = run_cli("animate", "--portrait", str(REPO / "data" / "portraits" / "astronaut.jpg"), "--audio", str(wav),
                "-o", str(out), "--max-side", "128", "-q")
    assert r.returncode == 0, r.stderr[-2000:]
    srt, vtt = out.with_suffix(".srt").read_text(), out.with_suffix(".vtt").read_text()
    cues = _stamps(srt)
    assert len(cues) >= 3 and _stamps(vtt) == cues
    assert all(a < b for a, b in cues) and all(b1 <= a2 + 1e-3 for (_, b1), (a2, _) in zip(cues, cues[1:]))
    env = frame_rms(audio[: 12 * sr], sr, 12 * 25)
    speaking = env > 0.1 * env.max()
    for a, b in cues:            # each cue has speech in it
        assert speaking[int(a * 25):int(b * 25) + 1].any(), (a, b)
    assert "hello" in srt.lower()


@pytest.mark.slow
def test_transcript_mouth_closes_on_bilabials_and_follows_the_audio(recording):
    audio, sr = recording
    a = resample(audio, sr, 22_050)
    n = len(a) * 25 // 22_050
    a = a[: n * 882]
    words = shared_recognizer().transcribe(a, 22_050)
    phonemes = word_phonemes(words)
    env = frame_rms(a, 22_050, n)
    drv = VisemeDriver()
    from_transcript = drv.drive(ClipSpeech(a, 22_050, phonemes, n, 25, 0, timeline="transcript"))[:, 0]
    from_audio = drv.drive(ClipSpeech(a, 22_050, None, n, 25, 0))[:, 0]
    r_t, r_a = np.corrcoef(env, from_transcript)[0, 1], np.corrcoef(env, from_audio)[0, 1]
    print(f"correlation with the audio envelope: transcript path {r_t:.3f}, audio-only {r_a:.3f}")
    # the opening comes from the audio in both; the transcript path adds lip closures on the quietest frame
    # near each m/b/p, which can only cost correlation where the envelope is not zero (measured 0.8813 vs
    # 0.8815 on this recording): equal within 0.002
    assert r_t >= r_a - 0.002 and r_t > 0.75
    spans = [(int((p.start - 0.04) * 25), int((p.end + 0.04) * 25) + 1) for p in phonemes
             if p.symbol in ("m", "b", "p") and p.end - p.start > 0.05]
    assert len(spans) >= 3
    # the lips meet during every transcript bilabial; the audio path never shuts them there
    assert all(from_transcript[lo:hi].min() == 0.0 for lo, hi in spans)
    assert np.mean([from_audio[lo:hi].min() for lo, hi in spans]) > 0.1


def test_given_transcript_is_timed_by_the_recognised_words():
    heard = [Word("Hello", 0.5, 0.9), Word("there", 1.0, 1.3), Word("my", 1.5, 1.6), Word("friend.", 1.7, 2.2)]
    words = align_transcript("Hello there, dear friend.", heard)
    assert [w.text for w in words] == ["Hello", "there,", "dear", "friend."]
    assert (words[0].start, words[1].end, words[3].end) == (0.5, 1.3, 2.2)
    assert 1.3 <= words[2].start < words[2].end <= 1.7            # "dear" takes the place of "my"
    cues = word_cues(words)
    assert len(cues) == 1 and cues[0].text == "Hello there, dear friend." and cues[0].start == 0.5
    ph = word_phonemes(words)
    assert ph[0].symbol == "_" and ph[0].end == 0.5 and abs(ph[-1].end - 2.2) < 1e-9


@pytest.mark.slow
def test_a_voice_without_timings_gets_them_from_the_recogniser():
    """DCTTS gives no phoneme timeline; the voice stage recognises the phrase and times the script's words."""
    pytest.importorskip("piper")
    from deepstory.voice_stage import synthesize_phrase
    from deepstory.voices import Speech, Voice, resolve_voice

    class Untimed(Voice):             # a real neural voice with its timings thrown away, as DCTTS gives them
        kind, has_timeline = "untimed", False

        def __init__(self):
            super().__init__("untimed:joe")
            self.inner = resolve_voice("piper:joe")

        def synthesize(self, text: str) -> Speech:
            s = self.inner.synthesize(text)
            return Speech(s.audio, s.sample_rate, None)

    voice = Untimed()
    with voice.inner:
        out = synthesize_phrase(voice, "Maybe my mom baked bread.")
    assert bool(out["has_phonemes"])
    dur = len(out["audio"]) / 22_050
    syms = list(out["symbols"])
    assert syms.count("m") >= 3 and "b" in syms
    assert (out["times"] >= 0).all() and (out["times"] <= dur + 1e-9).all()
    assert (out["times"][:, 1] > out["times"][:, 0]).all()
