"""Corpus stage: files -> cleaned text -> sentences with offsets, sections and periods."""
