"""``codeloop compiler tune | compare | export | disasm | corpus | passes``: LLVM pass-list tuning
for code size and the disassembly round trip (``codeloop.compiler``)."""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from codeloop.cli.common import (
    MODEL_HELP,
    add_jobs,
    add_out,
    add_progress,
    command,
    read_text,
    requires,
)
from codeloop.settings import positive_float, positive_int

if TYPE_CHECKING:
    from collections.abc import Iterator

    from codeloop.compiler.environment import Environment

METHODS = ("oz", "o3", "random", "greedy", "autotune", "llm")  # compiler.search.METHODS
CSMITH_PROGRAMS = 30


def register(commands: argparse._SubParsersAction) -> None:
    compiler = command(commands, "compiler", "LLVM pass lists for code size (vs -Oz) and disassembly, by execution")
    actions = compiler.add_subparsers(dest="action", required=True, metavar="ACTION")

    tune = command(actions, "tune", "find a pass list that makes one program small, validated by execution")
    tune.add_argument("program", metavar="PROGRAM", help="a C file (.c) or unoptimised LLVM IR (.ll)")
    tune.add_argument("--method", choices=METHODS, default="autotune", help="how (default: autotune)")
    tune.add_argument("--budget-s", type=positive_float, default=10.0, metavar="N",
                      help="seconds of search for random, greedy and autotune (default: 10)")
    tune.add_argument("--input", action="append", default=[], metavar="FILE",
                      help="a file given as stdin to one validation run (repeatable; default: one run, empty stdin)")
    _model_flags(tune)
    tune.add_argument("--json", action="store_true", help="end with one JSON line: passes, opt_args, sizes, validated")
    tune.set_defaults(handler=tune_command)

    compare = command(actions, "compare", "every method on the test programs: the comparison table")
    compare.add_argument("--methods", default=",".join(METHODS),
                       help=f"comma-separated, of {', '.join(METHODS)} (default: all)")
    compare.add_argument("--budget-s", type=positive_float, default=10.0, metavar="N",
                       help="seconds per program for random and greedy (default: 10)")
    compare.add_argument("--autotune-budget-s", type=positive_float, default=30.0, metavar="N",
                       help="seconds per program for the autotuner (default: 30)")
    compare.add_argument("--shots", type=int, default=1, metavar="K",
                       help="training programs answered by the autotuner shown to the model first (default: 1)")
    _corpus_flags(compare)
    _model_flags(compare)
    add_jobs(compare, "programs searched at once")
    add_out(compare, "FILE.json", "also write every result (per method and program) as JSON")
    add_progress(compare)
    compare.set_defaults(handler=compare_command)

    export = command(actions, "export", "training data: each training program's IR, best pass list and sizes")
    add_out(export, "FILE.jsonl", "where the records go (one JSON object per line)", required=True)
    export.add_argument("--budget-s", type=positive_float, default=30.0, metavar="N",
                        help="autotuner seconds per program (default: 30)")
    _corpus_flags(export)
    add_jobs(export, "programs tuned at once")
    add_progress(export)
    export.set_defaults(handler=export_command)

    disasm = command(actions, "disasm", "the model lifts assembly to IR; round-trip exact match and BLEU")
    disasm.add_argument("--model", default="default", help=MODEL_HELP)
    disasm.add_argument("--limit", type=positive_int, metavar="N", help="at most N functions")
    add_out(disasm, "FILE.jsonl", "also write each lift (assembly, IR, round trip, scores)")
    add_progress(disasm)
    disasm.set_defaults(handler=disasm_command)

    corpus = command(actions, "corpus", "build the programs (hand-written and csmith) and list them")
    _corpus_flags(corpus, limit=False)
    corpus.set_defaults(handler=corpus_command)

    passes = command(actions, "passes", "the pass names a pass list may use (LLVM 14 new pass manager)")
    passes.set_defaults(handler=passes_command)


def _model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="default", help=f"for method llm: {MODEL_HELP}")
    parser.add_argument("--samples", type=positive_int, default=4, metavar="K",
                        help="model answers per program, the first greedy (default: 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the searches and the sampling (default: 0)")


def _corpus_flags(parser: argparse.ArgumentParser, limit: bool = True) -> None:
    parser.add_argument("--csmith", type=int, default=CSMITH_PROGRAMS, metavar="N",
                        help=f"csmith programs beside the hand-written ones (default: {CSMITH_PROGRAMS})")
    if limit:
        parser.add_argument("--limit", type=positive_int, metavar="N", help="at most N programs of each origin")


@contextmanager
def _environment(cache: bool) -> Iterator[Environment]:
    from codeloop.compiler.corpus import cache_root
    from codeloop.compiler.environment import Environment
    from codeloop.compiler.llvm import find_toolchain
    from codeloop.sandbox import Sandbox
    toolchain = find_toolchain()
    with Sandbox() as sandbox:
        env = Environment(toolchain, sandbox, cache_root() / f"results-llvm{toolchain.version}.sqlite"
                          if cache else None)
        try:
            yield env
        finally:
            env.close()


def _programs(env: Environment, args: argparse.Namespace, quiet: bool = False) -> list:
    from codeloop.compiler import corpus
    programs = corpus.handwritten_programs(env.toolchain)
    if args.csmith:
        generated, skipped = corpus.csmith_programs(env.toolchain, args.csmith, env.csmith_verdict)
        programs += generated
        if skipped and not quiet:
            more = "; ..." if len(skipped) > 3 else ""
            print(f"csmith: {len(skipped)} seeds skipped ({'; '.join(skipped[:3])}{more})")
    programs = corpus.split(programs)
    if getattr(args, "limit", None):
        programs = [p for origin in ("handwritten", "csmith") for p in
                    [q for q in programs if q.origin == origin and q.split == "test"][:args.limit] +
                    [q for q in programs if q.origin == origin and q.split == "train"][:args.limit]]
    return programs


def tune_command(args: argparse.Namespace) -> int:
    from codeloop.compiler.comparison import CompareConfig, tune
    from codeloop.compiler.corpus import CSMITH_INCLUDE, Program, compile_source
    if args.method == "autotune":
        requires("compiler", "optuna")
    path = Path(args.program)
    source = read_text(args.program)
    if path.suffix not in (".c", ".ll"):
        args.parser.error(f"{args.program}: expected a .c or .ll file")
    inputs = tuple(read_text(name) for name in args.input) or ("",)
    model = _model(args) if args.method == "llm" else None
    with _environment(cache=True) as env:
        ir = source if path.suffix == ".ll" else compile_source(env.toolchain, source, path.stem,
                                                                (CSMITH_INCLUDE,) if "csmith.h" in source else ())
        program = Program(path.stem, "file", ir, inputs)
        config = CompareConfig(budget_s=args.budget_s, autotune_budget_s=args.budget_s, samples=args.samples,
                             seed=args.seed)
        tuned = tune(env, program, args.method, config, model)
    print(f"passes: {' '.join(tuned.passes) or '(none)'}")
    print(f"opt {' '.join(repr(a) if '<' in a or '(' in a else a for a in tuned.as_json()['opt_args'])} (LLVM "
          f"{env.toolchain.version})")
    print(f".text: {tuned.size} bytes, -Oz {tuned.oz_size} ({tuned.reduction:+.2f}%), {tuned.instructions} IR "
          f"instructions, {tuned.evaluations} evaluations in {tuned.seconds:.1f} s, "
          f"{'validated by execution' if tuned.validated else 'NOT validated'}")
    for line in tuned.rejected:
        print(f"rejected: {line}")
    if args.json:
        print(json.dumps(tuned.as_json()))
    return 0 if tuned.validated else 1


def _model(args: argparse.Namespace):
    from codeloop.llm import load_model
    return load_model(args.model, **({"n_ctx": 8192} if args.model.startswith(("default", "gguf:")) else {}))


def compare_command(args: argparse.Namespace) -> int:
    from codeloop.compiler.comparison import CompareConfig, format_table, run_compare, summarise
    methods = tuple(name for name in args.methods.split(",") if name)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or not methods:
        args.parser.error(f"--methods: unknown {', '.join(unknown) or '(none given)'}; expected some of "
                          f"{', '.join(METHODS)}")
    if "autotune" in methods or ("llm" in methods and args.shots):
        requires("compiler", "optuna")
    if args.shots < 0:
        args.parser.error(f"--shots: expected an integer >= 0, got {args.shots}")
    model = _model(args) if "llm" in methods else None
    config = CompareConfig(methods, args.budget_s, args.autotune_budget_s, args.samples, args.shots, args.seed,
                         args.jobs or 2)
    with _environment(cache=False) as env:
        programs = _programs(env, args)
        test = [p for p in programs if p.split == "test"]
        train = [p for p in programs if p.split == "train"]
        print(f"{len(test)} test programs ({sum(p.origin == 'csmith' for p in test)} csmith), LLVM "
              f"{env.toolchain.version}, {len(train)} training programs")
        results = run_compare(env, test, train, config, model, progress=not args.no_progress)
    rows = summarise(results)
    print(format_table(rows))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"summary": rows, "results": [t.as_json() for t in results]}, indent=1))
    print(json.dumps(rows))
    return 0


def export_command(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    from codeloop.compiler.llm_tuning import training_record
    from codeloop.compiler.search import autotune
    requires("compiler", "optuna")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _environment(cache=True) as env:
        train = [p for p in _programs(env, args) if p.split == "train"]
        done = set()
        if out.exists():  # resume: keep the records written, tune the rest
            done = {json.loads(line)["name"] for line in out.read_text().splitlines() if line.strip()}
        todo = [p for p in train if p.name not in done]
        with out.open("a") as file, ThreadPoolExecutor(args.jobs or 2) as pool, \
                tqdm(total=len(todo), desc="export", disable=args.no_progress) as bar:
            for program, tuned in zip(todo, pool.map(lambda p: autotune(env, p, args.budget_s), todo), strict=True):
                file.write(json.dumps(training_record(program, tuned)) + "\n")
                file.flush()
                bar.update()
    print(f"wrote {len(todo)} records to {out} ({len(done)} were there already)")
    return 0


def disasm_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from codeloop.compiler import disassembly
    from codeloop.compiler.corpus import handwritten_programs, split
    from codeloop.compiler.llvm import find_toolchain
    toolchain = find_toolchain()
    test = [p for p in split(handwritten_programs(toolchain)) if p.split == "test"]
    samples = disassembly.samples(toolchain, test, args.limit)
    model = _model(args)
    lifts = [disassembly.lift(toolchain, model, sample) for sample in tqdm(samples, disable=args.no_progress)]
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with Path(args.out).open("w") as file:
            for lift in lifts:
                file.write(json.dumps({"program": lift.sample.program, "function": lift.sample.function,
                                       "assembly": lift.sample.assembly, "reference_ir": lift.sample.ir,
                                       "ir": lift.ir, "compiles": lift.compiles, "round_trip": lift.round_trip,
                                       "exact": lift.exact, "bleu": lift.bleu, "error": lift.error}) + "\n")
    summary = disassembly.summary(lifts)
    print(f"{summary['samples']} functions: {summary['compiles']:.0%} of the lifted IR compiles, round-trip exact "
          f"match {summary['round_trip_exact_match']:.0%}, round-trip BLEU {summary['round_trip_bleu']:.3f}")
    print(json.dumps(summary))
    return 0


def corpus_command(args: argparse.Namespace) -> int:
    from codeloop.compiler.llvm import instruction_count
    with _environment(cache=True) as env:
        programs = _programs(env, args)
        for program in programs:
            oz = env.measure(program, ("default<Oz>",))
            print(f"{program.name:<28} {program.origin:<11} {program.split:<5} {instruction_count(program.ir):>5} "
                  f"IR instructions, -Oz .text {oz.size} bytes, {len(program.inputs)} input(s)")
    print(f"{len(programs)} programs ({sum(p.split == 'test' for p in programs)} test), LLVM {env.toolchain.version}")
    return 0


def passes_command(args: argparse.Namespace) -> int:
    from codeloop.compiler.passes import PASSES
    for name, kind in PASSES.items():
        print(f"{name:<32} {kind}")
    return 0
