"""Scoring answers against gold answers, evaluation runs and their reports."""
