"""Test cases, and how each kind turns into a sandbox run.

Kinds:
- ``stdio``: ``input`` is stdin, ``output`` the expected stdout (compared by a checker).
- ``call``: ``fn_name(*json.loads(input))`` compared with ``json.loads(output)`` (TACO's
  ``fn_name`` tests; as in APPS, an expected ``[x]`` also accepts ``x``).
- ``expr``: the Python expression ``input`` evaluated in the program's namespace, compared with
  the expression ``output`` by ``==``, exactly as ``assert input == output`` would (HumanEval
  docstring examples, MBPP asserts); feedback can then show the value the program returned.
- ``script``: ``input`` is code appended to the program, e.g. HumanEval's ``check`` function;
  passing means exiting 0, an ``AssertionError`` is a wrong answer.
"""

from __future__ import annotations

import ast
import enum
import json
from dataclasses import asdict, dataclass

RESULT_MARK = "\x1e\x1ecodeloop-result\x1e\x1e"

DRIVER = f'''import json, sys
spec = json.load(open("test.json"))
import solution
namespace = vars(solution)
def resolve(name):
    if name in namespace:
        return namespace[name]
    if "Solution" in namespace:
        return getattr(namespace["Solution"](), name)
    raise NameError(f"name {{name!r}} is not defined")
if spec["kind"] == "call":
    result = resolve(spec["fn_name"])(*json.loads(spec["input"]))
else:
    result = eval(spec["input"], namespace)
try:
    encoded = {{"json": json.dumps(result)}}
except (TypeError, ValueError):
    encoded = {{}}
encoded["repr"] = repr(result)
if spec["kind"] == "expr":
    expected = eval(spec["output"], namespace)
    encoded["expected_repr"] = repr(expected)
    encoded["equal"] = bool(result == expected)
sys.stdout.flush()
sys.stdout.write("\\n{RESULT_MARK}" + json.dumps(encoded))
'''


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TestKind(self.kind))

    def to_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Test:
        return cls(**{key: data[key] for key in ("kind", "input", "output", "fn_name") if key in data})

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


def expr_test(expression: str, expected: str) -> Test:
    return Test(TestKind.EXPR, expression, expected)


def script_test(code: str) -> Test:
    return Test(TestKind.SCRIPT, code)


def assertion_to_test(statement: str) -> Test:
    """``assert f(x) == y`` becomes an ``expr`` test (so feedback can show what f(x) gave);
    anything else stays a ``script`` test."""
    try:
        tree = ast.parse(statement.strip())
    except SyntaxError:
        return script_test(statement)
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Assert):
        check = tree.body[0].test
        if (isinstance(check, ast.Compare) and len(check.ops) == 1 and isinstance(check.ops[0], ast.Eq)):
            return expr_test(ast.unparse(check.left), ast.unparse(check.comparators[0]))
    return script_test(statement)


def parse_result(stdout: str) -> tuple[str, dict | None]:
    """Split a driver run's stdout into the program's own output and the encoded result."""
    own, mark, encoded = stdout.rpartition("\n" + RESULT_MARK)
    if not mark:
        return stdout, None
    try:
        return own, json.loads(encoded)
    except json.JSONDecodeError:
        return own, None
