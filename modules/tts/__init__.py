"""Voices: espeak-ng (embedded default, with phoneme timings) and DCTTS checkpoints (`modules.tts.dctts`).

Submodules are imported on demand, so importing this package stays cheap."""
