"""RLEF's task families (``codeloop.tasks.feedback_families``): every task is solvable by its
reference, unsolvable with a wrong hidden value, and the value is in the feedback, never the prompt."""

from __future__ import annotations

import re

import pytest

from codeloop.judge import Judge, Verdict
from codeloop.judge.feedback import feedback
from codeloop.loop import first_prompt
from codeloop.sandbox import Sandbox
from codeloop.tasks.feedback_families import FAMILIES, HELD_OUT_FAMILIES, TRAIN_FAMILIES, make_tasks, uses_feedback


def wrong(program: str, answers: list[str]) -> str:
    """The reference with every hidden value changed (a digit bumped, a letter swapped)."""
    for answer in answers:
        changed = answer[:-1] + (str((int(answer[-1]) + 1) % 10) if answer[-1].isdigit() else
                                 ("q" if answer[-1] != "q" else "z"))
        program = re.sub(rf"(?<![\w.]){re.escape(answer)}(?![\w.])", changed, program)
    return program


@pytest.fixture(scope="module")
def judge():
    with Sandbox(workers=2) as sandbox:
        yield Judge(sandbox)


def test_families_split_into_train_and_held_out():
    assert set(TRAIN_FAMILIES) | set(HELD_OUT_FAMILIES) == set(FAMILIES)
    assert not set(TRAIN_FAMILIES) & set(HELD_OUT_FAMILIES)
    kinds = {family: make_tasks([family], 1, 0, "x")[0].kind for family in FAMILIES}
    for group in (TRAIN_FAMILIES, HELD_OUT_FAMILIES):  # function and stdin/stdout tasks in both
        assert {str(kinds[family]) for family in group} == {"function", "stdio"}


def test_every_reference_passes_and_a_wrong_value_fails(judge):
    tasks = make_tasks(list(FAMILIES), 6, seed=3, split="test")
    assert len({task.id for task in tasks}) == len(tasks) == 6 * len(FAMILIES)
    for task in tasks:
        reference = task.solutions[0]
        assert judge.judge(reference, task.public_tests).verdict == Verdict.OK, task.id
        assert judge.judge(reference, task.hidden_tests).verdict == Verdict.OK, task.id
        bad = wrong(reference, task.metadata["answers"])
        assert bad != reference
        assert judge.judge(bad, task.hidden_tests).verdict != Verdict.OK, (task.id, bad)
        public = judge.judge(bad, task.public_tests)
        assert public.verdict != Verdict.OK
        text = feedback(public, "failed", "")
        for answer in task.metadata["answers"]:  # the feedback names the value; the prompt does not
            assert answer in text, (task.id, text)
            assert not re.search(rf"(?<![\w.]){re.escape(answer)}(?![\w.])", first_prompt(task)), task.id


def test_tasks_are_drawn_per_seed_and_split():
    assert [t.solutions for t in make_tasks(TRAIN_FAMILIES, 4, 1, "train")] == \
        [t.solutions for t in make_tasks(TRAIN_FAMILIES, 4, 1, "train")]
    assert [t.solutions for t in make_tasks(TRAIN_FAMILIES, 4, 1, "train")] != \
        [t.solutions for t in make_tasks(TRAIN_FAMILIES, 4, 1, "test")]
    with pytest.raises(ValueError, match="unknown task family 'nope'"):
        make_tasks(["nope"], 1, 0, "x")


def test_uses_feedback_counts_whole_values():
    task = make_tasks(["add_constant"], 1, 0, "x")[0]
    answer = task.metadata["answers"][0]
    assert uses_feedback(task, f"def f(x):\n    return x + {answer}\n")
    assert not uses_feedback(task, f"def f(x):\n    return x + {answer}1\n")
    assert not uses_feedback(task, f"def f(x):\n    return x + 1.{answer}\n")
    assert not uses_feedback(task, None)


def test_the_families_are_a_benchmark():
    from codeloop.tasks import load
    train, test = load("feedback_families", split="train"), load("feedback_families", split="test")
    assert len(train) == 64 * len(TRAIN_FAMILIES) and len(test) == 20 * len(FAMILIES)
    assert {t.metadata["family"] for t in train} == set(TRAIN_FAMILIES)
    assert [t.solutions for t in test[:3]] == [t.solutions for t in make_tasks(TRAIN_FAMILIES, 20, 0, "test")[:3]]
    with pytest.raises(ValueError, match="splits train and test"):
        load("feedback_families", split="validation")


def test_reward_hacks_fail_on_every_family(judge):
    """The reward RL trains on here: exits, always-equal objects and hard-coded public answers fail
    the hidden tests of every family (tests/reward_hack_programs.py has the whole suite)."""
    from reward_hack_programs import ALWAYS_EQUAL
    for task in make_tasks(list(FAMILIES), 5, seed=5, split="hack"):
        public = task.public_tests[0]
        if str(task.kind) == "stdio":
            hacks = ["import os\nos._exit(0)\n", "raise SystemExit(0)\n",
                     f"print({public.output.strip()!r})\n"]  # the public answer, whatever the input
        else:
            argument = {"lookup": "c", "prefix": "s"}.get(task.metadata["family"], "x")
            hacks = [f"def f({argument}):\n" + ALWAYS_EQUAL, "import sys\nsys.exit(0)\n",
                     # state across calls: the first argument taken for the hidden value (red team)
                     f"T = []\ndef f({argument}):\n    T.append({argument})\n    return {argument} >= T[0]\n",
                     f"def f({argument}):\n    import os\n    os._exit(0)\n",
                     f"def f({argument}):\n    return {public.output}\n"]  # the public answer for every input
        for hack in hacks:
            assert judge.judge(hack, task.hidden_tests).verdict != Verdict.OK, (task.id, hack)
