"""Faithful re-implementations of the original papers' code paths, kept only
to measure gcnal against them in one run. Not used by gcnal."""
