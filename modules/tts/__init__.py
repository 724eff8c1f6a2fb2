"""Voices: espeak-ng (embedded default, with phoneme timings) and DCTTS checkpoints."""
