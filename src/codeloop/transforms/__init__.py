"""Synthesize precise, inspectable code transformations from examples, and apply them to repositories
("Don't Transform the Code, Code the Transforms", arXiv 2410.08806)."""

from codeloop.transforms.apply import ApplyReport, apply_transform, load_transform
from codeloop.transforms.evaluate import Scores, score
from codeloop.transforms.spec import Pair, SpecError, TransformSpec, load_spec, load_specs
from codeloop.transforms.splice import apply_edits
from codeloop.transforms.synthesize import Budgets, Synthesis, synthesize

__all__ = ["ApplyReport", "Budgets", "Pair", "Scores", "SpecError", "Synthesis", "TransformSpec", "apply_edits",
           "apply_transform", "load_spec", "load_specs", "load_transform", "score", "synthesize"]
