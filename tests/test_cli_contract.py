"""The command line's contract (README, "The command line"): exit codes, one-line errors,
--debug, one spelling per flag, help everywhere, nothing heavy at start-up, the core without extras."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codeloop.cli import build_parser, common
from codeloop.settings import positive_int

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "llama_cpp", "transformers", "tokenizers")


def codeloop(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeloop", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


def leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) for every subcommand that runs something."""
    subactions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subactions:
        yield path, parser
    for action in subactions:
        for name, sub in action.choices.items():
            yield from leaf_parsers(sub, (*path, name))


LEAVES = dict(leaf_parsers(build_parser()))


def test_exit_codes_and_one_line_errors(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(1)")
    assert codeloop("run", str(program)).returncode == 0
    missing = codeloop("run", str(tmp_path / "missing.py"))  # a runtime failure: 1, one line
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"codeloop run: error: {tmp_path / 'missing.py'}: no such file"
    usage = codeloop("run", str(program), "--time-limit", "-1")  # a usage error: 2, argparse's message
    assert usage.returncode == 2 and "usage: codeloop run" in usage.stderr and "expected a number > 0" in usage.stderr
    assert codeloop("run", str(program), "--no-such-flag").returncode == 2
    assert codeloop("frobnicate").returncode == 2


def test_debug_prints_the_traceback(tmp_path):
    missing = str(tmp_path / "missing.py")
    assert "Traceback" not in codeloop("run", missing).stderr
    assert "Traceback" in codeloop("--debug", "run", missing).stderr
    env = {**__import__("os").environ, "CODELOOP_DEBUG": "1"}
    assert "Traceback" in codeloop("run", missing, env=env).stderr


@pytest.mark.parametrize("command", [("evaluate", "s.jsonl", "--benchmark", "mbpp"), ("eval", "--benchmark", "mbpp"),
                                     ("grid", "--benchmark", "mbpp"), ("transform", "apply", "t.py", "src")])
def test_jobs_is_validated_the_same_everywhere(command):
    result = codeloop(*command, "--jobs", "0")
    assert result.returncode == 2 and "--jobs: expected an integer >= 1, got 0" in result.stderr


def test_flags_follow_one_spelling_and_all_have_help():
    for path, parser in LEAVES.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"codeloop {' '.join(path)} {action.option_strings or action.dest}: no help"
            assert "--output" not in action.option_strings and "-o" not in action.option_strings
            if "--jobs" in action.option_strings:
                assert action.type is positive_int
    with_bars = {("evaluate",), ("eval",), ("grid",), ("transform", "apply"), ("transform", "compare"),
                 ("tokenizer", "train"), ("train", "lm"), ("train", "dfm"), ("compiler", "compare"),
                 ("compiler", "export"), ("compiler", "disasm")}
    for path in with_bars:
        assert any("--no-progress" in a.option_strings for a in LEAVES[path]._actions), path
    for path in (("eval",), ("grid",), ("transform", "synthesize"), ("transform", "compare"), ("compiler", "tune"),
                 ("compiler", "compare"), ("compiler", "disasm")):
        helps = " ".join(a.help or "" for a in LEAVES[path]._actions)
        assert "openai:URL#MODEL" in helps and "default-1.5b" in helps
    assert "retry:REASONING" in LEAVES[("eval",)]._option_string_actions["--strategy"].help
    assert "explain_io" in LEAVES[("eval",)]._option_string_actions["--strategy"].help


def test_static_choices_match_their_registries():
    from codeloop.cli import transform
    from codeloop.judge import Granularity
    from codeloop.llm import EMBEDDED, embedded
    from codeloop.loop.prompts import INSTRUCTION_PROMPTS, REASONING_PROMPTS
    from codeloop.tasks import LOADERS
    from codeloop.tokenizer.patterns import PATTERNS
    from codeloop.transforms.synthesize import Budgets
    assert set(common.BENCHMARKS) == set(LOADERS)
    assert tuple(g.value for g in Granularity) == common.FEEDBACKS
    assert tuple(REASONING_PROMPTS) == common.REASONING and tuple(INSTRUCTION_PROMPTS) == common.INSTRUCTIONS
    assert tuple(embedded.MODELS) == EMBEDDED
    from codeloop.cli.lm import PATTERNS as CLI_PATTERNS
    assert tuple(PATTERNS) == CLI_PATTERNS
    assert (Budgets.attempts, Budgets.describe_rounds) == (transform.ATTEMPTS, transform.DESCRIBE_ROUNDS)
    from codeloop.cli import compiler
    from codeloop.compiler.search import METHODS
    assert compiler.METHODS == METHODS
    from codeloop.transforms.compare import COMPARE_METHODS
    from codeloop.transforms.methods import METHODS as TRANSFORM_METHODS
    assert (transform.METHODS, transform.COMPARE_METHODS) == (TRANSFORM_METHODS, COMPARE_METHODS)


def test_start_up_imports_nothing_heavy():
    script = ("import sys; from codeloop.cli import build_parser; build_parser(); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names "
              "and not m.startswith(('_', '__main__'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                       check=True).stdout.replace("'", '"'))
    assert set(loaded) <= {"codeloop", "codeloop.cli", "codeloop.cli.common", "codeloop.cli.eval",
                           "codeloop.cli.compiler", "codeloop.cli.evaluate", "codeloop.cli.execution",
                           "codeloop.cli.model", "codeloop.cli.speech",
                           "codeloop.cli.lm", "codeloop.cli.rl", "codeloop.cli.serve", "codeloop.cli.swe",
                           "codeloop.cli.transform", "codeloop.models",
                           "codeloop.models.training_config", "codeloop.llm", "codeloop.llm.base", "codeloop.rl",
                           "codeloop.rl.trainer_config", "codeloop.settings", "codeloop.eval",
                           "codeloop.eval.run_spec"}, loaded


def test_a_command_line_imports_only_its_command():
    """``COMMANDS`` names every subcommand's module; ``codeloop evaluate`` imports that one only."""
    from codeloop.cli import COMMANDS
    full = build_parser()
    commands = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(COMMANDS)
    for name, module in COMMANDS.items():
        registered = next(a for a in build_parser(name)._actions if isinstance(a, argparse._SubParsersAction))
        assert name in registered.choices, (name, module)
    script = ("import sys; from codeloop.cli import build_parser, named_command; "
              "build_parser(named_command(['--debug', 'evaluate', 's.jsonl'])); "
              "print(sorted(m for m in sys.modules if m.startswith('codeloop.cli.')))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['codeloop.cli.common', 'codeloop.cli.evaluate']"


@pytest.mark.slow
def test_the_core_runs_without_extras(tmp_path):
    """torch, llama_cpp, transformers and tokenizers made unimportable: run, judge, doctor, evaluate
    (MBPP from the package, in another directory) and report work; train says which extra to install."""
    blocked = tmp_path / "blocked"
    for name in HEAVY:
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked for this test')\n")
    env = {**__import__("os").environ, "PYTHONPATH": f"{blocked}:{REPO / 'src'}"}
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "p.py").write_text("print(sum(map(int, input().split())))")
    (work / "in.txt").write_text("2 3\n")
    (work / "t.jsonl").write_text('{"input": "2 3", "output": "5"}\n')
    assert codeloop("--help", env=env, cwd=work).returncode == 0
    assert codeloop("run", "p.py", "--stdin", "in.txt", env=env, cwd=work).stdout == "5\n"
    assert codeloop("judge", "p.py", "t.jsonl", env=env, cwd=work).returncode == 0
    assert codeloop("doctor", env=env, cwd=work).returncode == 0
    records = [json.loads(line) for line in (REPO / "src/codeloop/tasks/data/mbpp/mbpp.jsonl").open()][10:13]
    (work / "s.jsonl").write_text("".join(json.dumps({"task_id": f"MBPP/{r['task_id']}", "program": r["code"]})
                                          + "\n" for r in records))
    evaluated = codeloop("evaluate", "s.jsonl", "--benchmark", "mbpp", "--k", "1", "--no-progress",
                         "--out", "new/folder/results.jsonl", env=env, cwd=work)  # --out creates its folder
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout.splitlines()[-1])["pass@1"] == 1.0
    train = codeloop("train", "lm", "--tokenizer", "tok.json", env=env, cwd=work)
    assert train.returncode == 1 and "pip install 'codeloop[models]'" in train.stderr
    assert train.stderr.count("\n") == 1
