"""Test cases, and how each kind turns into a sandbox run.

Kinds:
- ``stdio``: ``input`` is stdin, ``output`` the expected stdout (compared by a checker).
- ``call``: ``fn_name(*json.loads(input))`` (or ``Solution().fn_name``) compared with
  ``json.loads(output)`` (TACO's ``fn_name`` tests; as in APPS, an expected ``[x]`` also accepts ``x``).
- ``expr``: the Python expression ``input`` compared with the expression ``output`` by ``==``,
  exactly as ``assert input == output`` would (HumanEval docstring examples, MBPP asserts);
  feedback can then show the value the program returned.
- ``script``: ``input`` is test code, e.g. HumanEval's ``check(candidate)``; it passes when it runs
  to its end, an ``AssertionError`` is a wrong answer.

The last three are function-style: they run in a trusted harness process apart from the program
(``codeloop.judge.harness``), after ``setup`` (trusted code: the prompt's helpers, MBPP's
``test_setup_code``), with ``names`` (or, when empty, the names the test reads as globals and
nothing else defines) bound to the program's functions, classes and values.
"""

from __future__ import annotations

import ast
import enum
import json
from dataclasses import dataclass


class TestKind(enum.StrEnum):
    STDIO = "stdio"
    CALL = "call"
    EXPR = "expr"
    SCRIPT = "script"


@dataclass(frozen=True)
class Test:
    kind: TestKind
    input: str = ""
    output: str = ""
    fn_name: str = ""
    setup: str = ""               # trusted code the harness runs first (function-style tests)
    names: tuple[str, ...] = ()   # exactly the program's names the harness binds (empty: inferred)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TestKind(self.kind))
        object.__setattr__(self, "names", tuple(self.names))

    def to_dict(self) -> dict:
        return {"kind": str(self.kind), "input": self.input, "output": self.output, "fn_name": self.fn_name,
                "setup": self.setup, "names": list(self.names)}

    @classmethod
    def from_dict(cls, data: dict) -> Test:
        fields = ("kind", "input", "output", "fn_name", "setup", "names")
        return cls(**{key: data[key] for key in fields if key in data})

    def shown_input(self) -> str:
        """How feedback names this test's input."""
        if self.kind == TestKind.CALL:
            args = json.loads(self.input)
            return f"{self.fn_name}({', '.join(json.dumps(a) for a in args)})"
        return self.input

    def shown_output(self) -> str:
        return self.output


def stdio_test(stdin: str, stdout: str) -> Test:
    return Test(TestKind.STDIO, stdin, stdout)


def call_test(fn_name: str, args: list, expected: object) -> Test:
    return Test(TestKind.CALL, json.dumps(args), json.dumps(expected), fn_name)


def expr_test(expression: str, expected: str, setup: str = "", names: tuple[str, ...] = ()) -> Test:
    return Test(TestKind.EXPR, expression, expected, setup=setup, names=names)


def script_test(code: str, setup: str = "", names: tuple[str, ...] = ()) -> Test:
    return Test(TestKind.SCRIPT, code, setup=setup, names=names)


def assertion_to_test(statement: str, setup: str = "", names: tuple[str, ...] = ()) -> Test:
    """``assert f(x) == y`` becomes an ``expr`` test (so feedback can show what f(x) gave);
    anything else stays a ``script`` test."""
    try:
        tree = ast.parse(statement.strip())
    except SyntaxError:
        return script_test(statement, setup, names)
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Assert):
        check = tree.body[0].test
        if (isinstance(check, ast.Compare) and len(check.ops) == 1 and isinstance(check.ops[0], ast.Eq)):
            return expr_test(ast.unparse(check.left), ast.unparse(check.comparators[0]), setup, names)
    return script_test(statement, setup, names)
