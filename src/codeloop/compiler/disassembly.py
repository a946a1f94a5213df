"""Disassembly: assembly in, LLVM IR out from the model, checked by the round trip.

LLM Compiler (arXiv 2407.02524, sec. 3.3 and sec. 5.3) lifts x86-64 assembly to IR and scores
the lift by compiling it back: the round trip succeeds when the IR compiles, is an exact match
when the assembly it compiles to equals the input, and is scored by BLEU between the two
assemblies. The samples here are single functions of the test programs at ``-Oz`` (one module
per function, ``llvm-extract``), short enough for the model's context.

BLEU is Papineni et al. (ACL 2002): the geometric mean of modified n-gram precisions, n = 1..4,
times the brevity penalty ``min(1, exp(1 - r/c))``; per sample over assembly tokens, with
Chen & Cherry's (WMT 2014) smoothing 1 (a zero count becomes 0.1) so that one missing 4-gram does
not zero a sample, and 0 for a lift that does not compile; the reported score is the mean.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from codeloop.compiler.corpus import Program
from codeloop.compiler.llvm import Toolchain, ToolError
from codeloop.llm.base import ChatModel, SamplingParams

INSTRUCTION = "Disassemble this code to LLVM-IR:"
ANSWER_GUIDE = "Answer with the complete LLVM 14 IR module in <code>...</code> tags."
MAX_ASM_LINES = 80
_DIRECTIVES_KEPT = (".globl", ".type", ".size", ".section", ".p2align", ".byte", ".short", ".long", ".quad",
                    ".asciz", ".ascii", ".zero", ".comm", ".local")


@dataclass(frozen=True)
class Sample:
    program: str
    function: str
    ir: str          # the reference: the function's module at -Oz
    assembly: str    # what the model is given


@dataclass
class Lift:
    sample: Sample
    ir: str                  # the model's answer
    compiles: bool
    round_trip: str          # the assembly the model's IR compiles to ("" if it does not)
    exact: bool
    bleu: float
    error: str = ""


def normalise_assembly(text: str) -> str:
    """Assembly without comments, blank lines and the directives that name files or tools."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"\s*#.*$", "", line).strip()
        if not line or (line.startswith(".") and not line.endswith(":") and not line.startswith(_DIRECTIVES_KEPT)):
            continue
        if line.startswith(".section") and "note.GNU-stack" in line:
            continue
        lines.append(" ".join(line.split()))
    return "\n".join(lines)


def tokens(text: str) -> list[str]:
    return re.findall(r"[%$]?[\w.@]+|[^\s\w]", text)


def bleu(candidate: list[str], reference: list[str], max_n: int = 4) -> float:
    """Sentence BLEU-4 (see the module's docstring)."""
    if not candidate or not reference:
        return 0.0
    log_precision = 0.0
    for n in range(1, max_n + 1):
        grams = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
        wanted = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
        total = max(sum(grams.values()), 1)
        matched = sum(min(count, wanted[gram]) for gram, count in grams.items())
        log_precision += math.log((matched or 0.1) / total) / max_n
    brevity = min(1.0, math.exp(1 - len(reference) / len(candidate)))
    return brevity * math.exp(log_precision)


def defined_functions(ir: str) -> list[str]:
    return re.findall(r"^define [^@]*@([\w.$]+)\(", ir, re.M)


def samples(toolchain: Toolchain, programs: list[Program], limit: int | None = None) -> list[Sample]:
    """The functions of ``programs`` at -Oz whose assembly has at most ``MAX_ASM_LINES`` lines."""
    found = []
    for program in programs:
        optimised = toolchain.optimize(program.ir, ("default<Oz>",))
        for function in defined_functions(optimised):
            module = toolchain.extract_function(optimised, function)
            assembly = normalise_assembly(toolchain.assembly(module))
            if assembly.count("\n") < MAX_ASM_LINES:
                found.append(Sample(program.name, function, module, assembly))
    return found[:limit]


def extract_ir(text: str) -> str:
    found = re.search(r"<code>(.*?)(</code>|$)", text, re.S) or re.search(r"```(?:llvm|ll)?\n(.*?)(```|$)", text, re.S)
    return (found.group(1) if found else text).strip() + "\n"


def round_trip(toolchain: Toolchain, sample: Sample, ir: str) -> Lift:
    try:
        assembly = normalise_assembly(toolchain.assembly(ir))
    except ToolError as error:
        return Lift(sample, ir, False, "", False, 0.0, str(error))
    return Lift(sample, ir, True, assembly, assembly == sample.assembly,
                bleu(tokens(assembly), tokens(sample.assembly)))


def lift(toolchain: Toolchain, model: ChatModel, sample: Sample) -> Lift:
    content = f"{INSTRUCTION}\n\n<code>{sample.assembly}</code>\n\n{ANSWER_GUIDE}"
    reply = model.chat([{"role": "user", "content": content}], SamplingParams(temperature=0.0, max_tokens=1024))[0]
    return round_trip(toolchain, sample, extract_ir(reply.text))


def summary(lifts: list[Lift]) -> dict:
    count = len(lifts) or 1
    return {"samples": len(lifts), "compiles": sum(x.compiles for x in lifts) / count,
            "round_trip_exact_match": sum(x.exact for x in lifts) / count,
            "round_trip_bleu": sum(x.bleu for x in lifts) / count}
