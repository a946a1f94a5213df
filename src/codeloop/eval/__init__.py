"""Evaluation: scoring sample files, and (multi-turn) runs of tasks x models x strategies."""
