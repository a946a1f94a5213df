"""Held-out evaluation: precision, recall and F1 of a transformer on a spec's test pairs.

A positive is a test file that should change. A transformed file counts as correct when it equals
the expected file, by exact text or (second score) by AST (``ast.dump``) equality. Then
TP = positives transformed correctly; FP = files changed wrongly (a negative changed, or a
positive changed into something else); FN = positives not transformed correctly. A wrong edit
of a positive is thus both a false positive and a false negative.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from codeloop.transforms.spec import Pair


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": round(self.precision, 3), "recall": round(self.recall, 3), "f1": round(self.f1, 3),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def ast_equal(a: str, b: str) -> bool:
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return a == b


def score(pairs: list[Pair], outputs: list[str | None]) -> dict[str, Scores]:
    """Scores by exact text and by AST equality; an output of None means the transformer failed."""
    result = {"exact": Scores(), "ast": Scores()}
    for pair, output in zip(pairs, outputs, strict=True):
        got = pair.before if output is None else output
        for mode, same in (("exact", lambda a, b: a == b), ("ast", ast_equal)):
            correct, changed = same(got, pair.after), not same(got, pair.before)
            scores = result[mode]
            if pair.positive and correct:
                scores.tp += 1
            else:
                scores.fn += pair.positive
                scores.fp += changed
    return result
