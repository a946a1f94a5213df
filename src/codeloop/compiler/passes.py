"""Pass lists: the vocabulary of ``opt`` passes codeloop searches and accepts, the parser of a
written pass list, and the exact ``opt -passes=`` pipeline that applies one.

A pass list is a flat sequence of pass names, as in LLM Compiler's flag-tuning task (Cummins et
al., arXiv 2407.02524, sec. 3.2: the model answers with a list of passes for ``opt``). LLVM 14's
new pass manager needs each pass nested in the adaptor of its kind (a function pass runs inside
``function(...)``, a loop pass inside ``function(loop-mssa(...))``, an inliner pass inside
``cgscc(...)``); ``pipeline`` does that nesting, keeping the order, so a list and its
``opt_args`` mean the same thing. ``default<Oz>`` and the other standard pipelines are passes of
the vocabulary too: a list may extend ``-Oz`` rather than rebuild it.
"""

from __future__ import annotations

import re

# name -> the pass manager level it runs at. Every name is a pass of LLVM 14's opt (a test checks
# them against ``opt --print-passes``); analyses, printers, instrumentation and passes that need
# profiles or other targets are left out.
MODULE, CGSCC, FUNCTION, LOOP = "module", "cgscc", "function", "loop"
PASSES: dict[str, str] = {
    **dict.fromkeys(["always-inline", "called-value-propagation", "constmerge", "deadargelim",
                     "elim-avail-extern", "globaldce", "globalopt", "inferattrs", "ipsccp", "mergefunc",
                     "partial-inliner", "rpo-function-attrs", "strip-dead-prototypes",
                     "default<O1>", "default<O2>", "default<O3>", "default<Os>", "default<Oz>"], MODULE),
    **dict.fromkeys(["argpromotion", "function-attrs", "inline"], CGSCC),
    **dict.fromkeys(["adce", "aggressive-instcombine", "bdce", "break-crit-edges", "callsite-splitting",
                     "consthoist", "constraint-elimination", "correlated-propagation", "dce", "div-rem-pairs",
                     "dse", "early-cse", "early-cse<memssa>", "flattencfg", "float2int", "gvn", "gvn-hoist",
                     "gvn-sink", "instcombine", "instsimplify", "jump-threading", "lcssa", "libcalls-shrinkwrap",
                     "loop-distribute", "loop-fusion", "loop-load-elim", "loop-simplify", "loop-sink",
                     "loop-unroll", "loop-vectorize", "lower-constant-intrinsics", "lower-expect",
                     "lowerswitch", "mem2reg", "memcpyopt", "mergeicmps", "mergereturn", "mldst-motion",
                     "nary-reassociate", "newgvn", "reassociate", "reg2mem", "sccp",
                     "separate-const-offset-from-gep", "simplifycfg", "sink", "slp-vectorizer", "slsr",
                     "speculative-execution", "sroa", "tailcallelim", "vector-combine"], FUNCTION),
    **dict.fromkeys(["indvars", "licm", "loop-deletion", "loop-idiom", "loop-instsimplify", "loop-reduce",
                     "loop-rotate", "loop-simplifycfg", "loop-unroll-full", "simple-loop-unswitch"], LOOP),
}
# what a search draws from: the single passes (whole pipelines other than -Oz are seldom smaller)
SEARCH_SPACE: tuple[str, ...] = (*(name for name in PASSES if not name.startswith("default<")), "default<Oz>")

_SPLIT = re.compile(r"[\s,]+")


def parse_pass_list(text: str) -> list[str]:
    """The passes a written list names, in order. Accepts ``sroa,instcombine``, ``-sroa -instcombine``
    (opt's legacy flag spelling), ``-passes=...`` with or without adaptors (``function(sroa)``) and
    ``-Oz``-style levels. An unknown pass is a one-line ValueError that names it."""
    text = text.strip()
    text = re.sub(r"^(opt\s+)?", "", text)
    text = re.sub(r"-?-passes=", " ", text).strip("'\" ")
    # adaptors only group passes: drop their names and brackets, keep the passes in order
    text = re.sub(r"\b(module|cgscc|function|loop|loop-mssa|devirt<\d+>)\(", " ", text).replace(")", " ")
    passes = []
    for word in _SPLIT.split(text):
        word = word.strip("'\"")
        if not word:
            continue
        level = re.fullmatch(r"-?-?O([0-3sz])", word)
        name = f"default<O{level.group(1)}>" if level else word.lstrip("-")
        if name == "default<O0>":
            continue
        if name not in PASSES:
            raise ValueError(f"unknown pass {word!r}: expected one of the {len(PASSES)} passes of "
                             "`codeloop compiler passes` (LLVM 14 new pass manager names)")
        passes.append(name)
    return passes


def pipeline(passes: list[str] | tuple[str, ...]) -> str:
    """The ``opt -passes=`` text that runs ``passes`` in order: consecutive function and loop passes
    share one ``function(...)`` (loop passes inside ``loop-mssa(...)``, which LICM requires),
    consecutive inliner passes one ``cgscc(...)``. An empty list is ``no-op-module``."""
    groups: list[tuple[str, list[str]]] = []  # (adaptor, items)
    for name in passes:
        kind = PASSES[name]
        if kind == MODULE:
            groups.append((MODULE, [name]))
            continue
        adaptor = CGSCC if kind == CGSCC else FUNCTION
        if not groups or groups[-1][0] != adaptor:
            groups.append((adaptor, []))
        items = groups[-1][1]
        if kind == LOOP:
            if items and items[-1].startswith("loop-mssa("):
                items[-1] = items[-1][:-1] + f",{name})"
            else:
                items.append(f"loop-mssa({name})")
        else:
            items.append(name)
    if not groups:
        return "no-op-module"
    return ",".join(items[0] if adaptor == MODULE else f"{adaptor}({','.join(items)})" for adaptor, items in groups)


def opt_args(passes: list[str] | tuple[str, ...]) -> list[str]:
    """The arguments of ``opt`` (before its input file) that apply ``passes``."""
    return [f"-passes={pipeline(passes)}"]
