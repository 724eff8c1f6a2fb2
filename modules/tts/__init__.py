"""Text-to-speech voices. Each voice lives in its own subpackage (e.g. `modules.tts.dctts`) and is imported
on demand, so importing this package stays cheap."""
