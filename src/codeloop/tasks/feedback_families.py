"""Task families that only execution feedback can solve: RLEF's claim made testable (arXiv
2410.02089, section 1: a model trained with execution feedback learns to *use* it).

Each task hides a value (a constant, a factor, a word, a table, a threshold). The first prompt does
not say it, and the public test that needs it is not shown, so a first answer is a guess; a failing
public test's feedback ("- input 'f(0)' failed: Expected output '59' but got '63'") names it, and
the hidden tests check the same value at other points. A policy that reads the feedback solves the
task on its second turn; one that does not is left to guess. ``Task.metadata["answers"]`` holds the
values the feedback names, so a second turn's use of them can be counted (``uses_feedback``).

Families differ in surface (function or stdin/stdout), answer type (integer, word, string, table)
and where the value sits in the feedback (expected output or the input):

- training families (``TRAIN_FAMILIES``): ``add_constant``, ``multiply``, ``secret_word`` (stdio),
  ``lookup``;
- held-out families (``HELD_OUT_FAMILIES``): ``prefix`` (a string), ``threshold`` (the value is in
  the failing test's *input*), ``stdio_scale`` (stdio, an integer factor).

As a benchmark (``--benchmark feedback_families``): split ``train`` is 64 tasks of each training
family, ``test`` 20 held-out tasks of every family (``benchmarks/rlef_pretrained.py``'s seed 0).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from codeloop.judge import expr_test, script_test, stdio_test
from codeloop.tasks.schema import Task, TaskKind

WORDS = ("amber", "basil", "cedar", "delta", "ember", "fjord", "gamma", "hazel", "ivory", "jade", "koala", "lemon",
         "mango", "noble", "olive", "pearl", "quartz", "raven", "sable", "tulip", "umber", "velvet", "willow", "zinc")
KEYS = ("red", "green", "blue", "gold", "gray")


def _function(doc: str, argument: str = "x") -> str:
    return f'def f({argument}):\n    """{doc}"""\n'


def add_constant(rng: random.Random, name: str) -> Task:
    k = rng.randrange(10, 100)
    hidden = "\n".join(f"assert f({x}) == {x + k}" for x in (1, 7, -4))
    return Task(name, "Return x plus a secret constant.", TaskKind.FUNCTION, "f",
                _function("Return x plus a secret integer constant."),
                [expr_test("f(0)", str(k))], [script_test(hidden)],
                solutions=[f"def f(x):\n    return x + {k}\n"],
                metadata={"family": "add_constant", "answers": [str(k)]})


def multiply(rng: random.Random, name: str) -> Task:
    m = rng.randrange(3, 30)
    hidden = "\n".join(f"assert f({x}) == {x * m}" for x in (2, 5, -3))
    return Task(name, "Return x times a secret factor.", TaskKind.FUNCTION, "f",
                _function("Return x multiplied by a secret integer factor."),
                [expr_test("f(1)", str(m))], [script_test(hidden)],
                solutions=[f"def f(x):\n    return x * {m}\n"], metadata={"family": "multiply", "answers": [str(m)]})


def secret_word(rng: random.Random, name: str) -> Task:
    word = rng.choice(WORDS)
    prompt = "Read a name from standard input and print the secret word, a space, and the name"
    return Task(name, prompt, TaskKind.STDIO, public_tests=[stdio_test("Ann\n", f"{word} Ann\n")],
                private_tests=[stdio_test(f"{who}\n", f"{word} {who}\n") for who in ("Bob", "Chloe", "Dev")],
                solutions=[f"print({word!r}, input())\n"], metadata={"family": "secret_word", "answers": [word]})


def lookup(rng: random.Random, name: str) -> Task:
    keys = rng.sample(KEYS, 2)
    table = {key: rng.randrange(10, 100) for key in keys}
    hidden = "\n".join(f"assert f({key!r}) == {value}" for key, value in table.items())
    return Task(name, "Return the secret code of a colour.", TaskKind.FUNCTION, "f",
                _function(f"Return the secret integer code of the colour name c ({' or '.join(keys)}).", "c"),
                [expr_test(f"f({key!r})", str(value)) for key, value in table.items()],
                [script_test(hidden)],
                solutions=[f"def f(c):\n    return {table!r}[c]\n"],
                metadata={"family": "lookup", "answers": [str(v) for v in table.values()]})


def prefix(rng: random.Random, name: str) -> Task:
    word = rng.choice(WORDS)
    hidden = "\n".join(f"assert f({s!r}) == {word + s!r}" for s in ("abc", "x", "hello"))
    return Task(name, "Return s with a secret prefix in front.", TaskKind.FUNCTION, "f",
                _function("Return the string s with a secret prefix put in front of it.", "s"),
                [expr_test("f('')", repr(word))], [script_test(hidden)],
                solutions=[f"def f(s):\n    return {word!r} + s\n"], metadata={"family": "prefix", "answers": [word]})


def threshold(rng: random.Random, name: str) -> Task:
    t = rng.randrange(10, 100)
    # one test per point, in their own runs and a random order, at random offsets: a program that
    # keeps state across calls must not read t off the first argument (red team: "T = first x")
    points = [t, t - 1, t + rng.randrange(1, 50), t - rng.randrange(2, 50), t + rng.randrange(50, 200)]
    rng.shuffle(points)
    return Task(name, "Whether x reaches a secret threshold.", TaskKind.FUNCTION, "f",
                _function("Return True when x is at least a secret integer threshold, else False."),
                [expr_test(f"[f({t - 1}), f({t})]", "[False, True]")],
                [expr_test(f"f({x})", str(x >= t)) for x in points],
                solutions=[f"def f(x):\n    return x >= {t}\n"], metadata={"family": "threshold", "answers": [str(t)]})


def stdio_scale(rng: random.Random, name: str) -> Task:
    m = rng.randrange(3, 30)
    prompt = "Read an integer n from standard input and print n multiplied by a secret integer factor"
    return Task(name, prompt, TaskKind.STDIO, public_tests=[stdio_test("1\n", f"{m}\n")],
                private_tests=[stdio_test(f"{n}\n", f"{n * m}\n") for n in (4, 11, -6)],
                solutions=[f"print(int(input()) * {m})\n"], metadata={"family": "stdio_scale", "answers": [str(m)]})


FAMILIES: dict[str, Callable[[random.Random, str], Task]] = {
    family.__name__: family for family in (add_constant, multiply, secret_word, lookup, prefix, threshold, stdio_scale)}
TRAIN_FAMILIES = ("add_constant", "multiply", "secret_word", "lookup")
HELD_OUT_FAMILIES = ("prefix", "threshold", "stdio_scale")


def make_tasks(families: tuple[str, ...] | list[str], per_family: int, seed: int, split: str) -> list[Task]:
    """``per_family`` tasks of each family, interleaved, ids ``SPLIT/FAMILY/I``; the values drawn from
    ``seed`` and ``split``, so a train and a test split of one seed are drawn apart."""
    unknown = [family for family in families if family not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown task family {unknown[0]!r}; expected one of {', '.join(FAMILIES)}")
    rng = random.Random(f"{seed}/{split}")
    return [FAMILIES[family](rng, f"{split}/{family}/{index}") for index in range(per_family) for family in families]


def names(task: Task, text: str | None) -> bool:
    """Whether ``text`` holds every value of the task (each as a whole token)."""
    return text is not None and all(re.search(rf"(?<![\w.]){re.escape(answer)}(?![\w.])", text)
                                    for answer in task.metadata.get("answers", []))


def uses_feedback(task: Task, code: str | None) -> bool:
    """Whether a program contains every value the task's feedback names: a second turn that used it."""
    return names(task, code)


def load(split: str = "test") -> list[Task]:
    """The benchmark above: ``train`` or ``test``."""
    if split not in ("train", "test"):
        raise ValueError(f"feedback_families has the splits train and test, not {split!r}")
    if split == "train":
        return make_tasks(TRAIN_FAMILIES, 64, 0, "train")
    return make_tasks(TRAIN_FAMILIES, 20, 0, "test") + make_tasks(HELD_OUT_FAMILIES, 20, 0, "test")
