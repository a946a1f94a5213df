"""Prompts: the first message per task kind, and the strategies of arXiv 2410.08105.

First prompts:
- stdio tasks: RLEF's (arXiv 2410.02089, appendix C): "Provide a Python solution for the
  following competitive programming question: {problem}. Your code should be enclosed in
  triple backticks like so: ```python YOUR CODE HERE ```. Use the backticks for your code only."
- function tasks with a signature prompt (HumanEval): complete the function, shown in a block.
- function tasks stated in prose (MBPP): the MBPP paper's template (arXiv 2108.07732, sec. 2.1),
  "You are an expert Python programmer, and here is your task: {text} Your code should pass
  these tests:\n\n{tests}", then the format line.

Strategies (Zheng et al., arXiv 2410.08105, section 3 and appendix): a reasoning prompt asks for
reasoning first (its reply is kept in the dialogue); an instruction prompt says how to write the
code. The paper names 8 reasoning and 6 instruction prompts; it does not print their exact text,
so the wording below is ours, one prompt per idea the paper lists. ``cot_retry`` is the paper's
CoT-retry: no reasoning on the first turn, the reasoning prompt only after a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeloop.judge.feedback import format_line
from codeloop.tasks import Task, TaskKind

# Per sandbox language: the name a prompt uses and the fence tag it asks for.
LANGUAGE_NAMES = {"python": ("Python", "python"), "cpp": ("C++", "cpp"), "java": ("Java", "java"),
                  "nodejs": ("JavaScript", "javascript"), "rust": ("Rust", "rust"), "go": ("Go", "go")}

REASONING_PROMPTS = {
    "self_reflection": "Before writing any code, reflect on the problem: restate it in your own words and list the "
                       "constraints and edge cases that matter.",
    "explain_io": "Before writing any code, explain step by step why each example input produces its output.",
    "problem_tag": "Before writing any code, name the algorithmic categories this problem belongs to (for example "
                   "greedy, dynamic programming, graphs, math) and the techniques they suggest.",
    "difficulty": "Before writing any code, estimate how difficult this problem is and explain what makes it hard.",
    "nl_solution": "Before writing any code, describe in plain language an algorithm that solves the problem, "
                   "with its time complexity.",
    "multiple_solutions": "Before writing any code, propose several different approaches, compare them, and say "
                          "which one you will implement.",
    "helper_docstrings": "Before writing any code, plan the helper functions you need: give each one's signature "
                         "and docstring only.",
    "intermediate_variables": "Before writing any code, describe the intermediate variables your solution will "
                              "compute and what each one holds.",
}

INSTRUCTION_PROMPTS = {
    "use_helpers": "Write the solution as small helper functions called from a short main part.",
    "check_constraints": "Check the input constraints and handle the edge cases explicitly in your code.",
    "comment_lines": "Comment every line of your code.",
    "docstrings": "Give every function a docstring.",
    "weak_then_better": "First write a simple brute-force solution, then an improved one; your last code block is "
                        "your answer.",
    "step_by_step": "Write the code step by step, explaining each step before its code.",
}


@dataclass(frozen=True)
class Strategy:
    name: str = "plain"
    reasoning: str = ""     # a key of REASONING_PROMPTS, or ''
    instruction: str = ""   # a key of INSTRUCTION_PROMPTS, or ''
    cot_retry: bool = False

    def __post_init__(self) -> None:
        if self.reasoning and self.reasoning not in REASONING_PROMPTS:
            raise ValueError(f"unknown reasoning prompt {self.reasoning!r}; one of {', '.join(REASONING_PROMPTS)}")
        if self.instruction and self.instruction not in INSTRUCTION_PROMPTS:
            raise ValueError(f"unknown instruction prompt {self.instruction!r}; "
                             f"one of {', '.join(INSTRUCTION_PROMPTS)}")

    def reasoning_on(self, turn: int) -> str:
        """The reasoning prompt for 1-based ``turn`` ('' for none)."""
        if not self.reasoning or (self.cot_retry and turn == 1):
            return ""
        return REASONING_PROMPTS[self.reasoning]

    @property
    def instruction_text(self) -> str:
        return INSTRUCTION_PROMPTS[self.instruction] if self.instruction else ""


def parse_strategy(text: str) -> Strategy:
    """``plain``, ``REASONING``, ``REASONING+INSTRUCTION``, ``+INSTRUCTION``, each optionally
    prefixed ``retry:`` for CoT-retry, e.g. ``retry:explain_io+step_by_step``."""
    name = text.strip()
    body, cot_retry = (name[6:], True) if name.startswith("retry:") else (name, False)
    if body in ("", "plain"):
        return Strategy(name or "plain")
    reasoning, _, instruction = body.partition("+")
    return Strategy(name, reasoning, instruction, cot_retry)


def first_prompt(task: Task, language: str = "python") -> str:
    """The first message; stdio tasks may ask for any language of ``LANGUAGE_NAMES`` (RLEF's
    template with the language's name and fence tag), function tasks are Python."""
    name, fence = LANGUAGE_NAMES[language]
    if task.kind == TaskKind.STDIO:
        return f"Provide a {name} solution for the following competitive programming question: {task.prompt}. " \
               + format_line(fence)
    if language != "python":
        raise ValueError(f"{task.id} is a function-call task: Python only, not {name}")
    fence_line = format_line()
    if task.starter_code.strip():
        return ("Complete the following Python function. Write the whole function, with any imports it needs.\n"
                f"```python\n{task.starter_code.rstrip()}\n```\n" + fence_line)
    tests = "\n".join(task.metadata.get("test_list") or [t.input for t in task.public_tests])
    return (f"You are an expert Python programmer, and here is your task: {task.prompt} "
            f"Your code should pass these tests:\n\n{tests}\n" + fence_line)


def code_request(strategy: Strategy, language: str = "python") -> str:
    """The message asking for code after a reasoning exchange."""
    fence = format_line(LANGUAGE_NAMES[language][1])
    return " ".join(part for part in (strategy.instruction_text, "Now write the code.", fence) if part)
