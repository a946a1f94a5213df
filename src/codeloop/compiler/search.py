"""The baselines a pass list from a model is measured against: -Oz, -O3, random search,
greedy pass-by-pass, and an autotuner (Optuna's TPE sampler over pass sequences).

Every search starts from ``-Oz`` (its first evaluation), spends its time budget, then validates
its candidates smallest first by execution (``Environment.validate``) and keeps the first that
passes: a result is never a miscompile, and never worse than ``-Oz`` unless ``-Oz`` itself is
rejected. "Fraction of autotuning potential" (LLM Compiler, arXiv 2407.02524, sec. 5.1) is
``(method - Oz) / (autotuner - Oz)`` over the mean size reductions (``comparison.py``).
"""

from __future__ import annotations

import random
import time
import zlib
from dataclasses import dataclass, field

from codeloop.compiler.corpus import Program
from codeloop.compiler.environment import Environment, Measurement
from codeloop.compiler.passes import SEARCH_SPACE, opt_args

OZ, O3 = ("default<Oz>",), ("default<O3>",)
METHODS = ("oz", "o3", "random", "greedy", "autotune", "llm")
MAX_RANDOM_LENGTH = 24
AUTOTUNE_POSITIONS = 12
MAX_CHECKS = 8  # candidates validated, smallest first, before falling back to -Oz
_NO_PASS = "-"


@dataclass
class Tuned:
    """One method's result on one program."""

    method: str
    program: str
    passes: tuple[str, ...]
    size: int                   # .text bytes of the validated result
    oz_size: int
    instructions: int
    evaluations: int            # pass lists measured (opt + llc)
    seconds: float
    validated: bool
    rejected: list[str] = field(default_factory=list)  # candidates the execution check refused, and why
    model_calls: int = 0
    predicted_sizes: list[tuple[int, int]] = field(default_factory=list)  # (predicted, measured) per candidate
    invalid_candidates: int = 0  # model answers without a valid pass list

    @property
    def reduction(self) -> float:
        """Size reduction over -Oz, in percent (negative: larger than -Oz)."""
        return 100.0 * (self.oz_size - self.size) / self.oz_size if self.oz_size else 0.0

    def as_json(self) -> dict:
        return {"passes": list(self.passes), "opt_args": opt_args(self.passes), "size": self.size,
                "oz_size": self.oz_size, "validated": self.validated, "method": self.method,
                "program": self.program, "instructions": self.instructions, "evaluations": self.evaluations,
                "seconds": round(self.seconds, 3)}


class Search:
    """A budget (seconds, optionally evaluations) and every measurement made under it."""

    def __init__(self, env: Environment, program: Program, budget_s: float, max_evaluations: int | None = None):
        self.env, self.program = env, program
        self.deadline = time.monotonic() + budget_s
        self.max_evaluations = max_evaluations
        self.started = time.monotonic()
        self.measured: dict[tuple[str, ...], Measurement] = {}

    @property
    def exhausted(self) -> bool:
        return time.monotonic() >= self.deadline or (
            self.max_evaluations is not None and len(self.measured) >= self.max_evaluations)

    def evaluate(self, passes: tuple[str, ...] | list[str]) -> Measurement:
        passes = tuple(passes)
        if passes not in self.measured:
            self.measured[passes] = self.env.measure(self.program, passes)
        return self.measured[passes]

    def best(self) -> Measurement:
        return min((m for m in self.measured.values() if m.ok), key=lambda m: (m.size, len(m.passes)))

    def finish(self, method: str, oz_fallback: bool = True) -> Tuned:
        """The smallest candidate that passes the execution check (``-Oz`` if none does)."""
        oz = self.env.measure(self.program, OZ)
        candidates = sorted((m for m in self.measured.values() if m.ok), key=lambda m: (m.size, len(m.passes)))
        rejected: list[str] = []
        chosen, validated = None, False
        for measurement in candidates[:MAX_CHECKS]:
            problem = self.env.validate(self.program, measurement.passes)
            if not problem:
                chosen, validated = measurement, True
                break
            rejected.append(f"{' '.join(measurement.passes)}: {problem}")
        if chosen is None and oz_fallback and OZ not in [m.passes for m in candidates[:MAX_CHECKS]]:
            problem = self.env.validate(self.program, OZ)
            chosen, validated = oz, not problem
        if chosen is None:
            chosen = candidates[0] if candidates else oz
        return Tuned(method, self.program.name, chosen.passes, chosen.size or 0, oz.size or 0,
                     chosen.instructions or 0, len(self.measured), time.monotonic() - self.started, validated,
                     rejected)


def program_rng(program: Program, seed: int) -> random.Random:
    return random.Random(zlib.crc32(program.name.encode()) ^ seed)


def fixed(env: Environment, program: Program, passes: tuple[str, ...], method: str) -> Tuned:
    search = Search(env, program, budget_s=float("inf"))
    search.evaluate(passes)
    return search.finish(method, oz_fallback=False)


def random_search(env: Environment, program: Program, budget_s: float, seed: int = 0,
                  max_evaluations: int | None = None) -> Tuned:
    """-Oz, then random lists (length uniform in 1..24, passes uniform over ``SEARCH_SPACE``)."""
    rng = program_rng(program, seed)
    search = Search(env, program, budget_s, max_evaluations)
    search.evaluate(OZ)
    while not search.exhausted:
        search.evaluate([rng.choice(SEARCH_SPACE) for _ in range(rng.randint(1, MAX_RANDOM_LENGTH))])
    return search.finish("random")


def greedy_search(env: Environment, program: Program, budget_s: float, max_evaluations: int | None = None) -> Tuned:
    """From the empty list, append the pass that makes the program smallest; stop when none does
    (or the budget ends: the best list seen is kept)."""
    search = Search(env, program, budget_s, max_evaluations)
    search.evaluate(OZ)
    current = search.evaluate(())
    while not search.exhausted:
        step = None
        for name in SEARCH_SPACE:
            if search.exhausted:
                break
            measurement = search.evaluate((*current.passes, name))
            if measurement.ok and (step is None or measurement.size < step.size):
                step = measurement
        if step is None or current.size is None or step.size >= current.size:
            break
        current = step
    return search.finish("greedy")


def autotune(env: Environment, program: Program, budget_s: float, seed: int = 0,
             max_evaluations: int | None = None) -> Tuned:
    """Optuna's TPE sampler over 12 positions, each a pass of ``SEARCH_SPACE`` or none, -Oz as its
    first trial (Bergstra et al., NeurIPS 2011; Akiba et al., KDD 2019)."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    choices = (_NO_PASS, *SEARCH_SPACE)
    sampler = optuna.samplers.TPESampler(seed=zlib.crc32(program.name.encode()) ^ seed, multivariate=True,
                                         n_startup_trials=20)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial({f"p{i}": OZ[0] if i == 0 else _NO_PASS for i in range(AUTOTUNE_POSITIONS)})
    search = Search(env, program, budget_s, max_evaluations)
    worst = None
    while not search.exhausted:
        trial = study.ask()
        passes = [trial.suggest_categorical(f"p{i}", choices) for i in range(AUTOTUNE_POSITIONS)]
        measurement = search.evaluate([name for name in passes if name != _NO_PASS])
        if measurement.ok:
            worst = max(worst or 0, measurement.size)
        study.tell(trial, measurement.size if measurement.ok else 2 * (worst or 1 << 20))
    return search.finish("autotune")
