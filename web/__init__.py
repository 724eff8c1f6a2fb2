"""The Deepstory web studio: write, cast, render (with live progress), watch and swap."""
