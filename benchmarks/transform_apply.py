"""Files per second applying one transform across the standard library: codeloop vs LibCST.

The rewrite: ``dict()`` with no arguments becomes ``{}``. codeloop's transforms, as a Python module
(``ast`` matching, text splicing) and as a structural rewrite rule (ast-grep, the form rule
synthesis emits), run through ``codeloop transform apply``'s own engine, dry run, which also
checks that every output parses and that a second pass changes nothing; the LibCST codemod
(a ``CSTTransformer`` over ``parse_module``) only rewrites. Same files, same process count, one
run; the outputs are compared file by file.

    python benchmarks/transform_apply.py [--jobs N] [--root DIR]
"""

from __future__ import annotations

import argparse
import functools
import os
import sysconfig
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import libcst as cst

from codeloop.transforms.apply import apply_transform, load_transform, python_files
from codeloop.transforms.rules import Rule, rule_module

RULE = rule_module("empty_dict", [Rule("dict()", "{}", "call")], "The benchmark's rule.")

OURS = '''import ast

from codeloop.transforms.splice import apply_edits


def transform(source: str) -> str:
    tree = ast.parse(source)
    edits = [(node, "{}") for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
             and not node.args and not node.keywords]
    return apply_edits(source, edits)
'''


class EmptyDictCall(cst.CSTTransformer):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if isinstance(updated.func, cst.Name) and updated.func.value == "dict" and not updated.args:
            return cst.Dict(elements=[])
        return updated


def libcst_one(path: str) -> tuple[str, str | None]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            source = handle.read()
        return path, cst.parse_module(source).visit(EmptyDictCall()).code
    except Exception:
        return path, None


def ours_one(path: str) -> tuple[str, str | None]:
    namespace: dict = {}
    exec(OURS, namespace)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return path, namespace["transform"](handle.read())
    except Exception:
        return path, None


_loaded_transform = functools.cache(load_transform)  # once per worker process


def rule_one(job: tuple[str, str]) -> tuple[str, str | None]:
    module, path = job
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return path, _loaded_transform(module)(handle.read())
    except Exception:
        return path, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--root", default=sysconfig.get_paths()["stdlib"])
    args = parser.parse_args()
    files = [str(p) for p in python_files([args.root]) if "site-packages" not in p.parts]
    with tempfile.TemporaryDirectory() as scratch:
        module = Path(scratch) / "empty_dict.py"
        module.write_text(OURS)
        start = time.perf_counter()
        report = apply_transform(module, files, write=False, jobs=args.jobs)
        ours_s = time.perf_counter() - start
        rule_module_path = Path(scratch) / "empty_dict_rule.py"
        rule_module_path.write_text(RULE)
        start = time.perf_counter()
        rule_report = apply_transform(rule_module_path, files, write=False, jobs=args.jobs)
        rule_s = time.perf_counter() - start
        with ProcessPoolExecutor(args.jobs) as pool:
            by_rule = dict(pool.map(rule_one, [(str(rule_module_path), f) for f in files], chunksize=16))
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        theirs = dict(pool.map(libcst_one, files, chunksize=16))
    libcst_s = time.perf_counter() - start
    with ProcessPoolExecutor(args.jobs) as pool:
        ours = dict(pool.map(ours_one, files, chunksize=16))
    both = [f for f in files if ours[f] is not None and theirs[f] is not None]
    agree = sum(ours[f] == theirs[f] for f in both)
    changed = sum(ours[f] != _read(f) for f in both)
    print(f"{len(files)} files under {args.root}, {args.jobs} processes")
    print(f"codeloop apply (dry run, parse + idempotence checks): {ours_s:6.2f} s "
          f"{len(files) / ours_s:7.1f} files/s ({len(report.changed)} would change, {len(report.failures)} skipped)")
    print(f"LibCST codemod:                                        {libcst_s:6.2f} s "
          f"{len(files) / libcst_s:7.1f} files/s ({len(files) - len(both)} files one of them could not parse)")
    print(f"codeloop apply, the same rewrite as an ast-grep rule:  {rule_s:6.2f} s "
          f"{len(files) / rule_s:7.1f} files/s ({len(rule_report.changed)} would change, "
          f"{len(rule_report.failures)} skipped)")
    print(f"speed-up: {libcst_s / ours_s:.1f}x (target >= 2x); identical output on {agree}/{len(both)} files "
          f"({changed} changed)")
    rule_both = [f for f in both if by_rule[f] is not None]
    print(f"speed-up with the rule: {libcst_s / rule_s:.1f}x (target >= 2x); identical to LibCST's output on "
          f"{sum(by_rule[f] == theirs[f] for f in rule_both)}/{len(rule_both)} files")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


if __name__ == "__main__":
    main()
