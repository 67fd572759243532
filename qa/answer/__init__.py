"""Answering a question from retrieved passages: reading, verifying, composing the cited answer."""
