"""Transforms: specs, splicing, synthesis mechanics (scripted model), apply, scoring, the benchmark."""

import json
import os
import subprocess
import sys

import pytest

from codeloop.llm import ScriptedModel
from codeloop.sandbox import Limits
from codeloop.transforms import Budgets, Pair, SpecError, apply_edits, apply_transform, load_spec, load_specs, score
from codeloop.transforms.synthesize import synthesize, validate
from transform_references import REFERENCES

IS_NONE = '''import ast


def apply_edits(source, edits):
    return codeloop_apply_edits(source, edits)


def transform(source: str) -> str:
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)
                and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None):
            edits.append((node, ast.get_source_segment(source, node.left) + " is None"))
    return apply_edits(source, edits)
'''


STUB = "def apply_edits(source, edits):\n    return codeloop_apply_edits(source, edits)\n"


def module_with_helper(body: str) -> str:
    from codeloop.transforms.splice import HELPER
    return body.replace(STUB, HELPER.strip() + "\n")


def write_spec(folder, train, test=()):
    (folder / "train").mkdir(parents=True)
    (folder / "test").mkdir()
    (folder / "spec.toml").write_text('name = "toy"\nkind = "modernization"\nhint = "compare with None by identity"\n')
    for split, pairs in (("train", train), ("test", test)):
        for i, (before, after) in enumerate(pairs):
            (folder / split / f"{i}.before.py").write_text(before)
            if after is not None:
                (folder / split / f"{i}.after.py").write_text(after)
    return load_spec(folder)


TRAIN = [("x = a == None\n", "x = a is None\n"), ("if b == None:\n    pass\n", "if b is None:\n    pass\n"),
         ("y = f(c) == None  # keep\n", "y = f(c) is None  # keep\n")]


def test_bundled_benchmark_shape_and_references():
    specs = load_specs()
    assert len(specs) >= 16
    for spec in specs:
        assert len(spec.train) >= 3 and len(spec.test) >= 5, spec.name
        assert any(not p.positive for p in spec.test), f"{spec.name} has no negative test pair"
        reference = REFERENCES[spec.name]
        for pair in spec.train + spec.test:
            assert reference(pair.before) == pair.after, (spec.name, pair.name)
            assert reference(pair.after) == pair.after  # idempotent
    assert {s.kind for s in specs} >= {"modernization", "api migration", "refactoring", "optimization"}


def test_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="at least 3 training pairs"):
        write_spec(tmp_path / "a", TRAIN[:2])
    spec = write_spec(tmp_path / "b", TRAIN, [("z = 1\n", None)])
    assert spec.hint == "compare with None by identity" and not spec.test[0].positive
    (tmp_path / "b" / "train" / "9.after.py").write_text("x\n")
    with pytest.raises(SpecError, match=r"9\.after\.py without a matching \.before\.py"):
        load_spec(tmp_path / "b")


def test_apply_edits_keeps_everything_else_byte_identical():
    import ast
    source = "s = 'héllo' ; x  =  dict()   # cömment\r\ny = dict(a=1)\n"
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and not n.keywords]
    assert apply_edits(source, [(calls[0], "{}")]) == "s = 'héllo' ; x  =  {}   # cömment\r\ny = dict(a=1)\n"
    outer = next(n for n in ast.walk(ast.parse("f(g(1))")) if isinstance(n, ast.Call))
    inner = outer.args[0]
    assert apply_edits("f(g(1))", [(inner, "h"), (outer, "F")]) == "F"  # overlapping: the outer edit wins


def test_synthesis_feedback_retries_and_success(tmp_path, sandbox):
    spec = write_spec(tmp_path / "s", TRAIN)
    wrong = IS_NONE.replace('" is None"', '" == None"')
    model = ScriptedModel(["Replace == None with is None.", "Replace x == None with x is None; nothing else.",
                           f"```python\n{module_with_helper(wrong)}```",
                           f"```python\n{IS_NONE.replace(STUB, '')}```"])  # codeloop supplies apply_edits
    result = synthesize(spec, model, sandbox, Budgets(describe_rounds=2, attempts=3))
    assert result.solved and [a.stage for a in result.attempts] == ["describe", "refine", "transform", "transform"]
    first = result.attempts[2]
    assert first.passed == 0 and first.total == 3
    assert "--- expected\n+++ got\n" in first.feedback and "-x = a is None\n+x = a == None\n" in first.feedback
    assert model.calls[3][-1]["content"].startswith("On example 0 the output differs from the expected file:")
    assert result.module.startswith('"""toy: Replace x == None with x is None; nothing else.')
    namespace = {}
    exec(result.module, namespace)  # standalone: needs nothing from codeloop
    assert namespace["transform"]("q = r == None\n") == "q = r is None\n"
    assert len(result.log_lines()) == 4 and json.loads(result.log_lines()[2])["passed"] == 0


def test_synthesis_budget_exhaustion_and_errors(tmp_path, sandbox):
    spec = write_spec(tmp_path / "s", TRAIN)
    crash = "```python\ndef transform(source):\n    raise ValueError('nope')\n```"
    model = ScriptedModel(["desc", "no code here", crash, "```python\nimport nonexistent_module\n```"])
    result = synthesize(spec, model, sandbox, Budgets(describe_rounds=1, attempts=3))
    assert not result.solved and len(result.attempts) == 4
    assert "no ```python block" in result.attempts[1].feedback
    assert "ValueError: nope" in result.attempts[2].feedback and 'File "solution.py"' in result.attempts[2].feedback
    assert "failed to load" in result.attempts[3].feedback and "ModuleNotFoundError" in result.attempts[3].feedback
    assert result.module is not None  # the best attempt is kept (0/3), flagged as not solved


def test_scores_exact_and_ast():
    pairs = [Pair("p1", "a == None\n", "a is None\n"), Pair("p2", "b == None\n", "b is None\n"),
             Pair("n1", "c = 1\n", "c = 1\n")]
    outputs = ["a is None\n", "b  is  None\n", "c = 2\n"]
    exact, by_ast = score(pairs, outputs)["exact"], score(pairs, outputs)["ast"]
    assert (exact.tp, exact.fp, exact.fn) == (1, 2, 1)
    assert (by_ast.tp, by_ast.fp, by_ast.fn) == (2, 1, 0)
    assert by_ast.recall == 1.0 and by_ast.precision == pytest.approx(2 / 3)
    assert score(pairs, [None, None, None])["exact"].f1 == 0.0


def test_apply_in_parallel_writes_only_changes(tmp_path):
    module = tmp_path / "t.py"
    module.write_text(module_with_helper(IS_NONE))
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    files = {"a.py": "x = a == None\n", "pkg/b.py": "if b == None:  # why\r\n    pass\r\n", "pkg/c.py": "c = 1\n",
             "bad.py": "def broken(:\n"}
    for name, text in files.items():
        (repo / name).write_bytes(text.encode())
    before = {name: os.stat(repo / name).st_mtime_ns for name in files}
    dry = apply_transform(module, [repo], write=False, diff=True, jobs=2)
    assert sorted(os.path.relpath(r.path, repo) for r in dry.changed) == ["a.py", "pkg/b.py"]
    assert all((repo / n).read_bytes() == t.encode() for n, t in files.items())  # dry run wrote nothing
    assert "-x = a == None\n+x = a is None\n" in next(r.diff for r in dry.changed if r.path.endswith("a.py"))
    report = apply_transform(module, [repo], jobs=2)
    assert (repo / "a.py").read_text() == "x = a is None\n"
    assert (repo / "pkg/b.py").read_bytes() == b"if b is None:  # why\r\n    pass\r\n"  # CRLF kept
    assert os.stat(repo / "pkg/c.py").st_mtime_ns == before["pkg/c.py"]  # untouched
    assert [os.path.relpath(r.path, repo) for r in report.failures] == ["bad.py"]


def test_apply_reports_crashes_invalid_output_and_idempotence(tmp_path):
    module = tmp_path / "t.py"
    module.write_text("def transform(source):\n    if 'boom' in source:\n        raise RuntimeError('kaboom')\n"
                      "    if 'junk' in source:\n        return source + '('\n    return source + '# x\\n'\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "boom.py").write_text("boom = 1\n")
    (repo / "junk.py").write_text("junk = 1\n")
    (repo / "grow.py").write_text("grow = 1\n")
    report = apply_transform(module, [repo], jobs=1)
    errors = {os.path.basename(r.path): r.error for r in report.failures}
    assert "RuntimeError: kaboom" in errors["boom.py"] and "does not parse" in errors["junk.py"]
    assert [os.path.basename(r.path) for r in report.not_idempotent] == ["grow.py"]
    assert (repo / "junk.py").read_text() == "junk = 1\n"


def test_apply_cli(tmp_path):
    module = tmp_path / "t.py"
    module.write_text(module_with_helper(IS_NONE))
    target = tmp_path / "a.py"
    target.write_text("x = a == None\n")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "codeloop", "transform", "apply", str(module), *args],
                              capture_output=True, text=True)
    check = cli(str(target), "--check")
    assert check.returncode == 1 and "would change" in check.stdout and target.read_text() == "x = a == None\n"
    diff = cli(str(target), "--diff")
    assert diff.returncode == 0 and "+x = a is None" in diff.stdout
    applied = cli(str(target), "--jobs", "2")
    assert applied.returncode == 0 and target.read_text() == "x = a is None\n"
    assert "1 changed, 0 unchanged, 0 failed" in applied.stdout
    missing = cli(str(tmp_path / "nope"))
    assert missing.returncode == 1 and "nope: no such file or directory" in missing.stderr


@pytest.mark.slow
def test_synthesize_cli_with_the_embedded_model(tmp_path):
    spec = load_specs()[0].path
    out = tmp_path / "t.py"
    result = subprocess.run([sys.executable, "-m", "codeloop", "transform", "synthesize", str(spec), "--out", str(out),
                             "--method", "module", "--attempts", "1", "--describe-rounds", "1"], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode in (0, 1), result.stderr
    log = [json.loads(line) for line in (tmp_path / "t.py.log.jsonl").read_text().splitlines()]
    assert [entry["stage"] for entry in log] == ["describe", "transform"]


def test_validation_cannot_be_forged(sandbox):
    """The module's output and exit status decide nothing: the harness compares what transform() returned."""
    pairs = [Pair("p1", "a == None\n", "a is None\n")]
    forged = ('import json, os, sys\n'
              'def transform(source):\n'
              '    forged = json.dumps([{"name": "p1", "ok": True}])\n'
              '    sys.stdout.write("\\x1e\\x1ecodeloop-transform\\x1e\\x1e" + forged)\n'
              '    sys.stdout.flush()\n'
              '    os._exit(0)\n')
    results, error = validate(sandbox, forged, pairs, Limits(cpu_s=5))
    assert not any(r.get("ok") for r in results) and "ended" in error
    honest, error = validate(sandbox, module_with_helper(IS_NONE), pairs, Limits(cpu_s=5))
    assert error == "" and [r["ok"] for r in honest] == [True]
