"""Rule synthesis: anti-unification on hand-made pairs, the rule engine (negatives untouched,
untouched text byte-identical, imports, runs of statements), the model's rules, the comparison."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from codeloop.llm import ScriptedModel
from codeloop.transforms.antiunify import synthesize_rules
from codeloop.transforms.methods import synthesize_with
from codeloop.transforms.model_rules import parse_rules, propose_rules
from codeloop.transforms.rules import Rule, apply_rules, rule_module
from codeloop.transforms.spec import Pair, TransformSpec, load_specs

pytest.importorskip("ast_grep_py")


def pairs(*texts: tuple[str, str]) -> list[Pair]:
    return [Pair(f"{i:02d}", before, after) for i, (before, after) in enumerate(texts, 1)]


def test_anti_unification_of_hand_made_pairs_gives_the_expected_rule():
    found = synthesize_rules(pairs(("ok = config.keys()\n", "ok = config\n"),
                                   ("ok = registry.keys()\n", "ok = registry\n"),
                                   ("ok = self.options.keys()\n", "ok = self.options\n")))
    assert found.solved and len(found.rules) == 1
    rule = found.rules[0]
    assert (rule.pattern, rule.fix, rule.kind) == ("$A.keys()", "$A", "call")
    assert rule.contexts == (("assignment", "right"),)
    assert rule.constraints == {"A": {"any": [{"kind": "attribute"}, {"kind": "identifier"}]}}
    # one edit: the copied name becomes a metavariable, the literal stays
    single = synthesize_rules(pairs(("x = value == None\n", "x = value is None\n")))
    assert [(r.pattern, r.fix) for r in single.rules] == [("$A == None", "$A is None")]
    # names that differ across edits become one metavariable, the same wherever the texts recur
    loops = synthesize_rules(pairs(("for x in a:\n    yield x\n", "yield from a\n"),
                                   ("for item in self.items:\n    yield item\n", "yield from self.items\n")))
    assert [(r.pattern, r.fix) for r in loops.rules] == [("for $A in $B:\n    yield $A", "yield from $B")]


def test_training_negatives_exclude_code_from_a_rule_and_contradictions_are_reported():
    found = synthesize_rules(pairs(("a = np.float\n", "a = float\n"), ("b = np.int\n", "b = int\n"),
                                   ("c = np.float64\n", "c = np.float64\n")))
    assert found.solved and [rule.exclude for rule in found.rules] == [("np.float64",)]  # where it must not apply
    assert apply_rules(found.rules, "d = np.float64\ne = np.bool\n") == "d = np.float64\ne = bool\n"
    contradiction = synthesize_rules(pairs(("x = 1\n", "x = 2\n"), ("x = 1\n", "x = 3\n")))
    assert not contradiction.solved
    assert any(problem.startswith("0") and "line 1" in problem for problem in contradiction.problems)


def test_rules_leave_untouched_text_byte_identical_and_add_imports():
    rule = Rule("os.getcwd()", "Path.cwd()", "call", imports=("from pathlib import Path",))
    source = "import os\r\n\r\nx  =  os.getcwd( )   # keep   this\r\ny = os.getcwd()\r\n"
    got = apply_rules([rule], source)
    assert got == ("import os\r\nfrom pathlib import Path\r\n\r\nx  =  Path.cwd()   # keep   this\r\n"
                   "y = Path.cwd()\r\n")  # spacing inside a match is trivia; around it, kept byte for byte
    assert apply_rules([rule], got) == got  # idempotent: the import is there once
    assert apply_rules([rule], "print(1)\n") == "print(1)\n"  # no match: no import either
    fresh = apply_rules([Rule("exit($A)", "sys.exit($A)", "call", imports=("import sys",))],
                        "def stop():\n    exit(1)\n")
    assert fresh == "import sys\n\n\ndef stop():\n    sys.exit(1)\n"


def test_a_run_of_statements_is_matched_with_consistent_metavariables():
    swap = Rule("$C = $A\n$A = $B\n$B = $C", "$A, $B = $B, $A", "statements", (("module", None), ("block", None)))
    assert apply_rules([swap], "t = a\na = b\nb = t\nprint(a)\n") == "a, b = b, a\nprint(a)\n"
    assert apply_rules([swap], "if x:\n    t = p.x\n    p.x = p.y\n    p.y = t\n") == "if x:\n    p.x, p.y = p.y, p.x\n"
    for negative in ("t = a\na = b\nb = t + 1\n", "t = a\na = b\nc = t\n"):
        assert apply_rules([swap], negative) == negative


def test_bundled_rules_never_rewrite_a_negative():
    for spec in load_specs():
        found = synthesize_rules(spec.train)
        assert found.solved, (spec.name, found.problems)
        for pair in spec.test:
            if not pair.positive:
                assert apply_rules(found.rules, pair.before) == pair.before, (spec.name, pair.name)


def test_a_metavariable_that_always_names_the_enclosing_class_must_keep_doing_so():
    found = synthesize_rules(pairs(*[(f"class {c}(B):\n    def f(self):\n        return super({c}, self).f()\n",
                                      f"class {c}(B):\n    def f(self):\n        return super().f()\n")
                                     for c in ("A", "View", "Node")]))
    assert found.solved and found.rules[0].enclosing == {"A": "class_definition"}
    mixed = "class E(C):\n    def f(self):\n        return super(C, self).f() + super(E, self).g()\n"
    assert apply_rules(found.rules, mixed) == mixed.replace("super(E, self)", "super()")


def test_the_emitted_module_is_standalone_and_codeloop_applies_it(tmp_path):
    spec = next(s for s in load_specs() if s.name == "sys_exit")
    module = tmp_path / "sys_exit.py"
    module.write_text(rule_module(spec.name, synthesize_rules(spec.train).rules, "test"))
    assert "import codeloop" not in module.read_text() and "from codeloop" not in module.read_text()
    source = tmp_path / "src" / "a.py"
    source.parent.mkdir()
    source.write_text("def fail(msg):\n    print(msg)  # why\n    exit(2)\n")
    (tmp_path / "src" / "b.py").write_text("server.exit(1)\n")
    done = subprocess.run([sys.executable, "-m", "codeloop", "transform", "apply", str(module), str(source.parent),
                           "--jobs", "1", "--no-progress"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert source.read_text() == "import sys\n\n\ndef fail(msg):\n    print(msg)  # why\n    sys.exit(2)\n"
    assert (tmp_path / "src" / "b.py").read_text() == "server.exit(1)\n"
    assert "1 changed, 1 unchanged, 0 failed, 0 not idempotent" in done.stdout


def test_the_model_writes_rules_from_feedback(sandbox):
    spec = TransformSpec("is_none", train=pairs(("a = x == None\n", "a = x is None\n"),
                                                ("b = y == None\n", "b = y is None\n"),
                                                ("c = z == None\n", "c = z is None\n")))
    model = ScriptedModel(["I would rewrite it.",
                           '```json\n[{"pattern": "$A == None", "fix": "$A is not None"}]\n```',
                           '```json\n[{"pattern": "$A == None", "fix": "$A is None"}]\n```'])
    proposed = propose_rules(spec, model, attempts=3)
    assert proposed.solved and len(proposed.attempts) == 3
    assert "JSON list" in proposed.attempts[0].feedback
    assert "-a = x is None" in proposed.attempts[1].feedback and "+a = x is not None" in proposed.attempts[1].feedback
    assert "has_key" in model.calls[0][0]["content"]  # the format's worked example
    from codeloop.transforms.antiunify import RuleSynthesis
    from codeloop.transforms.model_rules import rules_prompt
    closest = RuleSynthesis([Rule("$A == None", "$A is None")], False, ["02, line 1: expected 'b'"])
    assert "$A == None" in rules_prompt(spec, closest) and "02, line 1" in rules_prompt(spec, closest)
    with pytest.raises(ValueError, match="pattern and fix"):
        parse_rules('[{"pattern": 3}]')
    # auto stops at the first stage that reproduces the training pairs: here rules, no model call
    auto = synthesize_with(spec, "auto", ScriptedModel([]), sandbox)
    assert auto.stage == "rules" and auto.solved and auto.model_calls == 0


def test_compare_rules_only_prints_the_table_and_a_json_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "codeloop", "transform", "compare", "--methods", "rules",
                           "--only", "is_none,sys_exit,swap_temp", "--no-progress", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| rules | 3/3 | 3/3 | 0 |" in done.stdout
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(rows) == {"is_none", "sys_exit", "swap_temp"}
    assert rows["sys_exit"]["rules"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "train_reproduced": True,
                                         "model_calls": 0, "seconds": rows["sys_exit"]["rules"]["seconds"]}
    assert (tmp_path / "sys_exit.rules.py").exists()
