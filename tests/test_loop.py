"""The loop's mechanics with a scripted model: feedback text, stopping, invalid replies, strategies."""

import pytest

from codeloop.judge import Judge, expr_test, script_test
from codeloop.judge.feedback import FORMAT_LINE
from codeloop.llm import SamplingParams, ScriptedModel
from codeloop.loop import (
    LoopConfig,
    Strategy,
    assemble_program,
    extract_code,
    first_prompt,
    parse_strategy,
    run_episode,
    sanitize_function_code,
)
from codeloop.loop.episode import invalid_feedback
from codeloop.tasks import Task, TaskKind

TASK = Task(id="toy/1", prompt="Double a number.", kind=TaskKind.FUNCTION, entry_point="double",
            public_tests=[expr_test("double(2)", "4")],
            private_tests=[script_test("assert double(2) == 4\nassert double(-3) == -6")])
WRONG = "```python\ndef double(x):\n    return x + 1\n```"
RIGHT = "Here you go:\n```python\ndef double(x):\n    return 2 * x\n```"


@pytest.fixture(scope="module")
def judge(sandbox):
    return Judge(sandbox)


def test_feedback_then_success_stops(judge):
    model = ScriptedModel([WRONG, RIGHT, "never used"])
    episode = run_episode(TASK, model, judge, LoopConfig(turns=3))
    assert [t.public_verdict for t in episode.turns] == ["WA", "OK"]  # stopped once public tests pass
    assert [t.hidden_verdict for t in episode.turns] == ["WA", "OK"]
    assert episode.passed and not episode.first_turn_passed
    assert len(model.calls) == 2 and model.calls[1][-2] == {"role": "assistant", "content": WRONG}


def test_exact_rlef_feedback_text(judge):
    model = ScriptedModel(["```python\ndef double(x):\n    return x * 3\n```", RIGHT])
    run_episode(TASK, model, judge, LoopConfig(turns=2))
    assert model.calls[1][-1]["content"] == (
        "Your code failed the following tests:\n"
        "- input 'double(2)' failed: Expected output '4' but got '6'\n"
        "Give it another try. " + FORMAT_LINE)


def test_turn_budget_and_final_program(judge):
    model = ScriptedModel([WRONG, WRONG, WRONG])
    episode = run_episode(TASK, model, judge, LoopConfig(turns=3))
    assert len(episode.turns) == 3 and not episode.passed
    assert len(model.calls) == 3 and len(model.calls[2]) == 5  # user, assistant, user, assistant, user


def test_invalid_reply_is_recorded_and_reminded(judge):
    model = ScriptedModel(["I think you should double it.", RIGHT])
    episode = run_episode(TASK, model, judge, LoopConfig(turns=3))
    first, second = episode.turns
    assert not first.valid and first.public_verdict == "INVALID" and first.feedback == invalid_feedback("python")
    assert model.calls[1][-1]["content"] == invalid_feedback("python")
    assert second.valid and episode.passed


def test_all_invalid_fails():
    model = ScriptedModel(["no code", "still none"])
    episode = run_episode(TASK, model, None, LoopConfig(turns=2))
    assert episode.final is None and not episode.passed


def test_granularity_binary(judge):
    model = ScriptedModel([WRONG, RIGHT])
    run_episode(TASK, model, judge, LoopConfig(turns=2, feedback="binary"))
    assert model.calls[1][-1]["content"] == "This solution was wrong.\nGive it another try. " + FORMAT_LINE


def test_reasoning_strategy_and_cot_retry(judge):
    strategy = parse_strategy("retry:explain_io+step_by_step")
    assert strategy == Strategy("retry:explain_io+step_by_step", "explain_io", "step_by_step", True)
    model = ScriptedModel([WRONG, "Because 2 doubled is 4.", RIGHT])
    episode = run_episode(TASK, model, judge, LoopConfig(turns=3, strategy=strategy))
    assert episode.passed and len(episode.turns) == 2
    first_call = model.calls[0]
    assert len(first_call) == 1 and "Before writing any code" not in first_call[0]["content"]  # no CoT at turn 1
    assert first_call[0]["content"].endswith("Write the code step by step, explaining each step before its code.")
    reasoning_call, code_call = model.calls[1], model.calls[2]
    assert reasoning_call[-1]["content"].endswith("explain step by step why each example input produces its output.")
    assert code_call[-2] == {"role": "assistant", "content": "Because 2 doubled is 4."}
    assert code_call[-1]["content"].startswith("Write the code step by step")
    with pytest.raises(ValueError, match="unknown reasoning prompt"):
        parse_strategy("telepathy")


def test_extract_code_rules():
    reply = ("Plan:\n```python\ndef helper():\n    pass\n```\n"
             "Solution:\n```python\ndef double(x):\n    return 2*x\n```\n"
             "Usage:\n```python\nprint(double(3))\n```")
    assert extract_code(reply, "double").startswith("def double")
    assert extract_code(reply).startswith("def double")  # no entry point: the longest block, last among equals
    assert extract_code("x = int(input())\nprint(x * x)") == "x = int(input())\nprint(x * x)\n"
    assert extract_code("Just an explanation, no code.") is None
    assert extract_code("```cpp\nint main() {}\n```") is None
    assert extract_code("```python\nprint(1)") == "print(1)\n"  # an unclosed fence still counts


def test_sanitize_and_assemble():
    code = "import math\ndef double(x):\n    return 2 * x\nprint(double(2))\nif __name__ == '__main__':\n    input()\n"
    assert sanitize_function_code(code) == "import math\ndef double(x):\n    return 2 * x\n"
    task = Task(id="he", prompt="", kind=TaskKind.FUNCTION, entry_point="f",
                starter_code="from typing import List\n\n\ndef f(x: List[int]) -> int:\n",
                completion_prefix="from typing import List\n\n\ndef f(x: List[int]) -> int:\n")
    assert assemble_program(task, "def f(x: List[int]) -> int:\n    return 1\n").startswith("from typing import List\n")
    assert assemble_program(task, "    return 1\n") == task.completion_prefix + "    return 1\n"


def test_first_prompts():
    stdio = Task(id="cc", prompt="Print 42", kind=TaskKind.STDIO)
    assert first_prompt(stdio) == ("Provide a Python solution for the following competitive programming question: "
                                   "Print 42. " + FORMAT_LINE)
    mbpp = Task(id="m", prompt="Write a function to add.", kind=TaskKind.FUNCTION, entry_point="add",
                metadata={"test_list": ["assert add(1, 2) == 3"]})
    assert first_prompt(mbpp).startswith("You are an expert Python programmer, and here is your task: "
                                         "Write a function to add. Your code should pass these tests:\n\n"
                                         "assert add(1, 2) == 3\n")


def test_sampling_params_validated():
    with pytest.raises(ValueError):
        SamplingParams(temperature=-1)


def test_a_dialogue_that_outgrows_the_model_ends_the_episode(judge):
    from codeloop.llm import Completion
    from codeloop.llm.base import CONTEXT_FULL

    class SmallContext:  # the second request does not fit, as llama.cpp and vLLM report it
        name, calls = "small", 0

        def chat(self, messages, params):
            self.calls += 1
            return [Completion(WRONG)] if self.calls == 1 else [Completion("", finish_reason=CONTEXT_FULL)]

    model = SmallContext()
    episode = run_episode(TASK, model, judge, LoopConfig(turns=3))
    assert [t.public_verdict for t in episode.turns] == ["WA", "CONTEXT"] and model.calls == 2
    assert episode.final is episode.turns[0] and not episode.passed
