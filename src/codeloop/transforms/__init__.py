"""Synthesize precise, inspectable code transformations from examples, and apply them to
repositories ("Don't Transform the Code, Code the Transforms", arXiv 2410.08806).

    spec.py                   a spec folder: training and held-out pairs, negatives
    edits.py, antiunify.py    training pairs diffed into edits, generalised into ast-grep rules
    rules.py                  the rule engine over ast-grep-py
    methods.py                one entry point for every synthesis method (rules, model, module, auto)
    model_rules.py            rules written or repaired by the model
    synthesize.py             a Python module written by the model (arXiv 2410.08806, sec. 3)
    splice.py, apply.py       edits spliced into text; a transform applied to a repository
    direct.py                 the baseline: the model rewrites each file
    heldout.py                precision, recall and F1 on held-out pairs
    compare.py                ``codeloop transform compare``: every method side by side
"""

from codeloop.transforms.apply import ApplyReport, apply_transform, load_transform
from codeloop.transforms.heldout import Scores, score
from codeloop.transforms.spec import Pair, SpecError, TransformSpec, load_spec, load_specs
from codeloop.transforms.splice import apply_edits
from codeloop.transforms.synthesize import Budgets, Synthesis, synthesize

__all__ = ["ApplyReport", "Budgets", "Pair", "Scores", "SpecError", "Synthesis", "TransformSpec", "apply_edits",
           "apply_transform", "load_spec", "load_specs", "load_transform", "score", "synthesize"]
