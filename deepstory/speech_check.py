"""`--check-speech`: every line's speech transcribed; the lines the recogniser hears differently."""
from __future__ import annotations

from typing import Callable

from .cache import StageCache
from .progress import Reporter, check_cancel
from .tasks import ClipTask
from .voice_stage import RATE, load_speech

SPEECH_CHECK_WER = 0.34      # lines whose transcript is further from the script than this are listed


def check_speech(tasks: list[ClipTask], texts: dict[int, str], cache: StageCache, reporter: Reporter,
                 cancel: Callable[[], bool] | None) -> list[dict]:
    """`texts`: each task's line text by task index."""
    from .recognizer import shared_recognizer, word_error_rate
    recognizer = shared_recognizer()
    reporter.stage("check", len(tasks))
    problems = []
    for t in tasks:
        check_cancel(cancel)
        heard = " ".join(w.text for w in recognizer.transcribe(load_speech(cache, t.speech_key)["audio"], RATE))
        wer = word_error_rate(texts[t.index], heard)
        if wer > SPEECH_CHECK_WER:
            problems.append({"line": t.line_number, "speaker": t.speaker, "text": texts[t.index],
                             "heard": heard, "wer": round(wer, 3)})
            reporter.log(f"line {t.line_number} ({t.speaker}): the recogniser heard {heard!r}")
        reporter.step("check", reused=False, label=t.id)
    reporter.end_stage("check")
    return problems
