"""Pass lists proposed by a model, through any codeloop backend.

The task is LLM Compiler's flag tuning (Cummins et al., arXiv 2407.02524, sec. 3.2 and fig. 3):
unoptimised IR in, a pass list and the predicted object-file size out. The user turn opens with
the paper's instruction (``Tell me how to optimize this LLVM-IR for object file size:`` and the
IR in ``<code>`` tags); the answer names the passes in ``<passes>`` and the size in ``<size>``
tags. A general chat model does not know that format nor LLVM 14's pass names, so the turn
then states both (``ANSWER_GUIDE``); the few-shot turns before it are training programs
answered with the autotuner's best lists, which is also what ``training_record`` exports.

Each candidate is parsed (a name outside the vocabulary makes the candidate invalid), measured,
and the smallest that passes the execution check is kept, with ``-Oz`` among the candidates: the
result is never worse than ``-Oz``. The size the model predicted is kept beside the size measured.
"""

from __future__ import annotations

import re
import time

from codeloop.compiler.corpus import Program
from codeloop.compiler.environment import Environment
from codeloop.compiler.passes import opt_args, parse_pass_list
from codeloop.compiler.search import OZ, Search, Tuned
from codeloop.llm.base import ChatModel, Message, SamplingParams

INSTRUCTION = "Tell me how to optimize this LLVM-IR for object file size:"
ANSWER_GUIDE = ("Answer with one line in this form (the passes and the size are an example): Run passes "
                "<passes>sroa,instcombine,simplifycfg</passes> to get object file size <size>1234</size>. "
                "Choose the passes, in the order they should run, among LLVM 14 opt -passes names such as "
                "{names}.")
SUGGESTED = ("mem2reg", "sroa", "instcombine", "simplifycfg", "early-cse", "gvn", "licm", "loop-rotate",
             "loop-deletion", "inline", "globalopt", "globaldce", "deadargelim", "mergefunc", "default<Oz>")
MAX_IR_CHARS = 12_000  # about 4k tokens of condensed IR; longer IR is cut (and says so)
TEMPERATURE = 0.8


def condensed_ir(ir: str, max_chars: int = MAX_IR_CHARS) -> str:
    """``ir`` without what does not change its meaning for the task (comments, attribute groups,
    metadata, the module header), cut at a line boundary past ``max_chars``."""
    lines = []
    for line in ir.splitlines():
        if not line.strip() or line.startswith((";", "attributes #", "!", "source_filename", "target datalayout")):
            continue
        line = re.sub(r"\s*;.*$", "", line)
        line = re.sub(r"(,\s*!\w[\w.]* !\d+)+", "", line)
        lines.append(re.sub(r"\) #\d+", ")", line))
    text = ""
    for index, line in enumerate(lines):
        if len(text) + len(line) + 1 > max_chars:
            return text + f"; ... {len(lines) - index} more lines\n"
        text += line + "\n"
    return text


def prompt(ir: str) -> str:
    return f"{INSTRUCTION}\n\n<code>{condensed_ir(ir)}</code>"


def answer(passes: tuple[str, ...] | list[str], size: int) -> str:
    return f"Run passes <passes>{','.join(passes)}</passes> to get object file size <size>{size}</size>."


def messages(program: Program, shots: list[tuple[Program, Tuned]]) -> list[Message]:
    guide = ANSWER_GUIDE.format(names=", ".join(SUGGESTED))
    turns: list[Message] = []
    for shot_program, tuned in shots:
        turns += [{"role": "user", "content": prompt(shot_program.ir)},
                  {"role": "assistant", "content": answer(tuned.passes, tuned.size)}]
    return [*turns, {"role": "user", "content": f"{prompt(program.ir)}\n\n{guide}"}]


def parse_answer(text: str) -> tuple[list[str], int | None]:
    """(passes, predicted size) from a reply; ValueError when it names no valid pass list."""
    found = (re.search(r"<passes>(.*?)</passes>", text, re.S) or re.search(r"-passes=(\S+)", text)
             or re.search(r"[Rr]un passes:?\s*(.*?)(?:\s+to\s|\.?\s*$)", text, re.S))
    if found is None:
        raise ValueError("no <passes>...</passes> in the answer")
    passes = parse_pass_list(found.group(1))
    if not passes:
        raise ValueError("an empty pass list")
    size = re.search(r"<size>\s*(\d+)\s*</size>", text) or re.search(r"size\s*(?:of\s*)?:?\s*(\d+)", text)
    return passes, int(size.group(1)) if size else None


def llm_tune(env: Environment, program: Program, model: ChatModel, samples: int = 4,
             shots: list[tuple[Program, Tuned]] | None = None, seed: int = 0) -> Tuned:
    """The best of the model's ``samples`` candidates (the first greedy, the rest sampled) and -Oz."""
    started = time.monotonic()
    conversation = messages(program, shots or [])
    replies = model.chat(conversation, SamplingParams(temperature=0.0, max_tokens=256))
    if samples > 1:
        replies += model.chat(conversation, SamplingParams(temperature=TEMPERATURE, max_tokens=256, seed=seed,
                                                           n=samples - 1))
    search = Search(env, program, budget_s=float("inf"))
    search.evaluate(OZ)
    predictions, invalid = [], 0
    for reply in replies:
        try:
            passes, predicted = parse_answer(reply.text)
        except ValueError:
            invalid += 1
            continue
        measurement = search.evaluate(passes)
        if measurement.ok and predicted is not None:
            predictions.append((predicted, measurement.size))
    tuned = search.finish("llm")
    tuned.seconds = time.monotonic() - started
    tuned.model_calls, tuned.predicted_sizes, tuned.invalid_candidates = len(replies), predictions, invalid
    return tuned


def training_record(program: Program, tuned: Tuned) -> dict:
    """One fine-tuning example: the program, its best list and sizes, and the prompt/completion
    pair in this module's format (TRL's SFTTrainer takes ``prompt``/``completion`` records)."""
    return {"name": program.name, "origin": program.origin, "ir": program.ir, "passes": list(tuned.passes),
            "opt_args": opt_args(tuned.passes), "size": tuned.size, "oz_size": tuned.oz_size,
            "validated": tuned.validated, "prompt": prompt(program.ir), "completion": answer(tuned.passes, tuned.size)}
