"""Deepstory: a written story in, a narrated talking-head video out."""
