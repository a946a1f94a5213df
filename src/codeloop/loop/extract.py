"""Code from a model's reply.

Which fenced block wins: blocks tagged ``python``/``py``/``python3`` or untagged are the
candidates. For a function task, the last candidate that defines the entry point; otherwise the
longest candidate (the last among equals). With no fence at all, the whole reply if it parses as
Python. Anything else is an invalid reply (``None``). Another language (stdin/stdout tasks): the
longest block tagged for it (``FENCE_TAGS``) or untagged; no fence, no code.

For function tasks the code is then sanitized: an ``if __name__ == "__main__":`` block and
top-level ``print(...)`` / ``input(...)`` calls are dropped, since the tests import the
program and such example code would run (or block on stdin) first.
"""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"```[ \t]*([\w+#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
# The fence tags that count as each sandbox language (an untagged block counts for any).
FENCE_TAGS = {"python": {"", "python", "py", "python3"}, "cpp": {"", "cpp", "c++", "cc", "cxx", "c"},
              "java": {"", "java"}, "nodejs": {"", "javascript", "js", "node", "nodejs"},
              "rust": {"", "rust", "rs"}, "go": {"", "go", "golang"}}


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def extract_code(reply: str, entry_point: str = "", language: str = "python") -> str | None:
    """The program in ``reply`` by the rule above, or None when there is none. In another
    language the candidates are the blocks tagged for it (``FENCE_TAGS``) or untagged, the
    longest winning; a reply without a fence has none."""
    tags = FENCE_TAGS[language]
    blocks = [body for tag, body in _FENCE.findall(reply) if tag.lower() in tags and body.strip()]
    if language != "python":
        return max(reversed(blocks), key=lambda b: len(b.strip().splitlines())).rstrip() + "\n" if blocks else None
    if blocks:
        if entry_point:
            defining = [b for b in blocks if _defines(b, entry_point)]
            if defining:
                return defining[-1].rstrip() + "\n"
        return max(reversed(blocks), key=lambda b: len(b.strip().splitlines())).rstrip() + "\n"
    if "```" not in reply and reply.strip() and _parses(reply):
        return reply.strip() + "\n"
    return None


def _is_example_call(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id in {"print", "input"})


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


def sanitize_function_code(code: str) -> str:
    """Drop a main guard and top-level example prints, keeping the rest byte for byte."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    lines = code.splitlines(keepends=True)
    drop = [(n.lineno, n.end_lineno) for n in tree.body if _is_main_guard(n) or _is_example_call(n)]
    for start, end in reversed(drop):
        del lines[start - 1:end]
    return "".join(lines)
