"""A multi-turn episode: generate, extract, run public tests, feed back, repeat; judge the end.

Per turn: the model replies (after a reasoning exchange if the strategy asks for one); code is
extracted (``extract``); the program runs on the public tests (a task without public tests is
just run, which still catches syntax and import-time errors); the episode stops as soon as they
pass, else the judge's feedback (``codeloop.judge.feedback``) opens the next turn, up to
``turns``. Each turn's program is also judged on the hidden (private + generated) tests, so that
every turn can count as a sample (arXiv 2410.08105); the episode's result is its last valid
program's hidden verdict. A reply without code is an invalid turn (RLEF's -0.2 case), answered
with a reminder of the format. When the dialogue no longer fits the model's context window (the
backend answers ``CONTEXT_FULL``), that turn is recorded as invalid (``public_verdict``
``CONTEXT``) and the episode ends; its result is still its last valid program's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from codeloop.judge import Granularity, Judge, Judgement, Verdict, feedback, script_test
from codeloop.judge.feedback import RETRY, format_line
from codeloop.llm import ChatModel, Message, SamplingParams
from codeloop.llm.base import CONTEXT_FULL
from codeloop.loop.extract import extract_code, sanitize_function_code
from codeloop.loop.prompts import LANGUAGE_NAMES, Strategy, code_request, first_prompt
from codeloop.sandbox import Limits
from codeloop.tasks import Task, TaskKind


def invalid_feedback(language: str) -> str:
    """What a reply without code is told (RLEF's invalid-answer case), in the run's language."""
    name, fence = LANGUAGE_NAMES[language]
    return f"Your answer did not contain a {name} code block. {RETRY} {format_line(fence)}"
DEFAULT_LIMITS = Limits(cpu_s=10.0, memory_mb=1024)  # RLEF's defaults (arXiv 2410.02089, sec. 4.1)
_IMPORT = re.compile(r"^(?:import\s+\S|from\s+\S+\s+import\s)")


@dataclass(frozen=True)
class LoopConfig:
    turns: int = 3
    feedback: Granularity = Granularity.FAILED
    strategy: Strategy = field(default_factory=Strategy)
    params: SamplingParams = field(default_factory=SamplingParams)
    limits: Limits | None = None  # None: the task's own limits, else DEFAULT_LIMITS
    retry_temperature: float | None = None  # sample turns 2.. at this temperature (None: as turn 1)
    language: str = "python"  # the sandbox's name; other languages answer stdin/stdout tasks only
    # replaces each feedback text (RLEF's random-feedback ablation): (task, the real text) -> the text sent
    feedback_override: Callable[[Task, str], str] | None = None

    def __post_init__(self) -> None:
        if self.turns < 1:
            raise ValueError(f"turns must be >= 1, got {self.turns}")
        if self.language not in LANGUAGE_NAMES:
            raise ValueError(f"language {self.language!r}: expected one of {', '.join(LANGUAGE_NAMES)}")
        object.__setattr__(self, "feedback", Granularity(self.feedback))


@dataclass
class Turn:
    turn: int                      # 1-based
    messages: list[Message]        # the conversation sent for this turn's code reply
    reply: str
    code: str | None               # extracted code; None for an invalid reply
    program: str | None            # what was judged
    public_verdict: str = ""
    public: dict = field(default_factory=dict)
    hidden_verdict: str = ""
    hidden: dict = field(default_factory=dict)
    feedback: str = ""             # what the next turn was told ('' once public tests pass)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    generate_s: float = 0.0
    execute_s: float = 0.0

    @property
    def valid(self) -> bool:
        return self.code is not None

    @property
    def public_passed(self) -> bool:
        return self.public_verdict == Verdict.OK

    @property
    def hidden_passed(self) -> bool:
        return self.hidden_verdict == Verdict.OK

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Episode:
    task_id: str
    sample: int
    turns: list[Turn]

    @property
    def final(self) -> Turn | None:
        valid = [t for t in self.turns if t.valid]
        return valid[-1] if valid else None

    @property
    def passed(self) -> bool:
        return self.final is not None and self.final.hidden_passed

    @property
    def first_turn_passed(self) -> bool:
        return bool(self.turns) and self.turns[0].hidden_passed


def assemble_program(task: Task, code: str) -> str:
    """The program to judge: stdio code as is; function code sanitized, with the prompt's imports
    (or, for a bare function body, appended to the prompt like a completion)."""
    if task.kind == TaskKind.STDIO:
        return code
    code = sanitize_function_code(code)
    defines = re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(task.entry_point)}\s*\(", code, re.MULTILINE)
    if task.entry_point and not defines and task.completion_prefix:
        return task.program(code)
    header = [line for line in task.starter_code.splitlines() if _IMPORT.match(line)]
    return "\n".join([*header, code]) if header else code


def task_limits(task: Task, config: LoopConfig) -> Limits:
    if config.limits is not None:
        return config.limits
    if task.time_limit_s or task.memory_limit_mb:
        return Limits(cpu_s=task.time_limit_s or DEFAULT_LIMITS.cpu_s,
                      memory_mb=task.memory_limit_mb or DEFAULT_LIMITS.memory_mb)
    return DEFAULT_LIMITS


def _summary(judgement: Judgement) -> dict:
    return {"verdict": str(judgement.verdict), "compile_error": judgement.compile_error,
            "tests": [{"verdict": str(r.verdict), "input": r.test.shown_input()[:500],
                       "expected": r.test.shown_output()[:500], "got": r.got[:500],
                       "stderr": r.error_text[-1000:] if r.verdict != Verdict.OK else ""}
                      for r in judgement.results]}


def _turn_params(config: LoopConfig, sample: int, turn: int, call: int) -> SamplingParams:
    """The sampling parameters of one model call; seeded per (sample, turn, call) when seeded."""
    params = config.params
    temperature = params.temperature
    if turn > 1 and config.retry_temperature is not None:
        temperature = config.retry_temperature
    seed = params.seed if params.seed is not None or temperature == 0 else 0
    if seed is not None:
        seed += 10_000 * sample + 10 * turn + call
    return SamplingParams(temperature, params.top_p, params.max_tokens, seed, 1, params.stop)


def run_episode(task: Task, model: ChatModel, judge: Judge, config: LoopConfig, sample: int = 0,
                done: list[Turn] | None = None, on_turn: Callable[[Turn], None] | None = None) -> Episode:
    """Run (or, given the turns ``done`` so far, continue) one episode."""
    turns = list(done or [])
    limits = task_limits(task, config)
    public_tests = task.public_tests or [script_test("pass")]
    while len(turns) < config.turns and not (turns and turns[-1].public_passed):
        number = len(turns) + 1
        if turns:
            messages = [*turns[-1].messages, {"role": "assistant", "content": turns[-1].reply}]
            opening = turns[-1].feedback
        else:
            messages, opening = [], first_prompt(task, config.language)
        prompt_tokens = completion_tokens = 0
        generate_s = 0.0
        reasoning = config.strategy.reasoning_on(number)
        thought = None
        if reasoning:
            messages.append({"role": "user", "content": f"{opening}\n\n{reasoning}"})
            thought = model.chat(messages, _turn_params(config, sample, number, 0))[0]
            messages += [{"role": "assistant", "content": thought.text},
                         {"role": "user", "content": code_request(config.strategy, config.language)}]
            prompt_tokens, completion_tokens, generate_s = thought.prompt_tokens, thought.completion_tokens, \
                thought.seconds
        else:
            instruction = config.strategy.instruction_text
            messages.append({"role": "user", "content": f"{opening}\n{instruction}" if instruction else opening})
        reply = thought if thought is not None and thought.finish_reason == CONTEXT_FULL else \
            model.chat(messages, _turn_params(config, sample, number, 1))[0]
        if reply.finish_reason == CONTEXT_FULL:  # the dialogue outgrew the model: the episode ends here
            turns.append(Turn(number, messages, "", None, None, public_verdict=CONTEXT_FULL.upper()))
            if on_turn is not None:
                on_turn(turns[-1])
            break
        code = extract_code(reply.text, task.entry_point, config.language)
        turn = Turn(number, messages, reply.text, code, None, prompt_tokens=prompt_tokens + reply.prompt_tokens,
                    completion_tokens=completion_tokens + reply.completion_tokens,
                    generate_s=generate_s + reply.seconds)
        start = time.perf_counter()
        if code is None:
            turn.public_verdict, turn.feedback = "INVALID", invalid_feedback(config.language)
        else:
            turn.program = assemble_program(task, code)
            public = judge.judge(turn.program, public_tests, limits, language=config.language)
            hidden = judge.judge(turn.program, task.hidden_tests, limits, language=config.language)
            turn.public_verdict, turn.public = str(public.verdict), _summary(public)
            turn.hidden_verdict, turn.hidden = str(hidden.verdict), _summary(hidden)
            turn.feedback = feedback(public, config.feedback, format_line(LANGUAGE_NAMES[config.language][1]))
            if turn.feedback and config.feedback_override is not None:
                turn.feedback = config.feedback_override(task, turn.feedback)
        turn.execute_s = time.perf_counter() - start
        turns.append(turn)
        if on_turn is not None:
            on_turn(turn)
    return Episode(task.id, sample, turns)
