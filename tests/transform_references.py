"""Hand-written reference transforms for the bundled benchmark: oracles that check its examples.

Each matches with ``ast`` and splices with ``codeloop.transforms.splice.apply_edits``.
"""

import ast
import re

from codeloop.transforms.splice import apply_edits, segment


def _calls(tree, name):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id == name]


def _empty_call(name, literal):
    def transform(source):
        tree = ast.parse(source)
        return apply_edits(source, [(n, literal) for n in _calls(tree, name) if not n.args and not n.keywords])
    return transform


def is_none(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq)
                and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None):
            op = "is" if isinstance(node.ops[0], ast.Eq) else "is not"
            edits.append((node, f"{segment(source, node.left)} {op} None"))
    return apply_edits(source, edits)


def _rename_methods(mapping):
    def transform(source):
        tree = ast.parse(source)
        edits = []
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in mapping):
                edits.append((node.func, f"{segment(source, node.func.value)}.{mapping[node.func.attr]}"))
        return apply_edits(source, edits)
    return transform


def logging_warn(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "warn":
            owner = segment(source, node.func.value)
            if owner != "warnings":
                edits.append((node.func, f"{owner}.warning"))
    return apply_edits(source, edits)


def time_clock(source):
    tree = ast.parse(source)
    return apply_edits(source, [(n.func, "time.perf_counter") for n in ast.walk(tree) if isinstance(n, ast.Call)
                                and isinstance(n.func, ast.Attribute) and n.func.attr == "clock"
                                and isinstance(n.func.value, ast.Name) and n.func.value.id == "time"])


ABCS = {"Mapping", "MutableMapping", "Sequence", "MutableSequence", "Set", "MutableSet", "Iterable", "Iterator",
        "Callable", "Hashable", "Sized", "Container", "Generator", "Awaitable", "Coroutine"}


def collections_abc(source):
    tree = ast.parse(source)
    return apply_edits(source, [(n, f"collections.abc.{n.attr}") for n in ast.walk(tree)
                                if isinstance(n, ast.Attribute) and n.attr in ABCS
                                and isinstance(n.value, ast.Name) and n.value.id == "collections"])


def isinstance_type(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)
                and isinstance(node.left, ast.Call) and isinstance(node.left.func, ast.Name)
                and node.left.func.id == "type" and len(node.left.args) == 1
                and not (isinstance(node.comparators[0], ast.Call) and isinstance(node.comparators[0].func, ast.Name)
                         and node.comparators[0].func.id == "type")):
            edits.append((node, f"isinstance({segment(source, node.left.args[0])}, "
                                f"{segment(source, node.comparators[0])})"))
    return apply_edits(source, edits)


def len_zero(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.If | ast.While):
            continue
        test = node.test
        if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Call)
                and isinstance(test.left.func, ast.Name) and test.left.func.id == "len" and len(test.left.args) == 1
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == 0):
            arg = segment(source, test.left.args[0])
            if isinstance(test.ops[0], ast.Eq):
                edits.append((test, f"not {arg}"))
            elif isinstance(test.ops[0], ast.NotEq | ast.Gt):
                edits.append((test, arg))
    return apply_edits(source, edits)


def _keys_call(node):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "keys"
            and not node.args and not node.keywords)


def dict_keys_iter(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.comprehension) and _keys_call(node.iter):
            edits.append((node.iter, segment(source, node.iter.func.value)))
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and _keys_call(right):
                    edits.append((right, segment(source, right.func.value)))
    return apply_edits(source, edits)


def sorted_list(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        inner = node.args[0] if node.args else None
        is_call = isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
        if node.func.id == "sorted" and is_call and inner.func.id == "list" and len(inner.args) == 1:
            edits.append((inner, segment(source, inner.args[0])))
        elif (node.func.id == "list" and len(node.args) == 1 and not node.keywords and is_call
              and inner.func.id == "sorted"):
            edits.append((node, segment(source, inner)))
    return apply_edits(source, edits)


def format_to_fstring(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
                and not node.keywords and all(isinstance(a, ast.Name) for a in node.args)):
            literal = segment(source, node.func.value)
            if literal[0] not in "\"'" or literal.count("{}") != len(node.args) or re.search(r"\{[^}]", literal):
                continue
            names = iter(a.id for a in node.args)
            edits.append((node, "f" + re.sub(r"\{\}", lambda _, names=names: "{" + next(names) + "}", literal)))
    return apply_edits(source, edits)


def rename_function(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "fetch_data":
            edits.append((node, "load_data"))
        elif isinstance(node, ast.FunctionDef) and node.name == "fetch_data":
            line = source.splitlines(keepends=True)[node.lineno - 1]
            start = line.index("fetch_data")
            edits.append((_Span(node.lineno, start, start + len("fetch_data")), "load_data"))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "fetch_data":
                    line = source.splitlines(keepends=True)[node.lineno - 1]
                    start = line.index("fetch_data")
                    edits.append((_Span(node.lineno, start, start + len("fetch_data")), "load_data"))
    return apply_edits(source, edits)


class _Span:
    def __init__(self, line, start, end, end_line=None):
        self.lineno, self.end_lineno = line, end_line or line
        self.col_offset, self.end_col_offset = start, end


def super_call(source):
    tree = ast.parse(source)
    edits = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for node in ast.walk(cls):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == cls.name
                    and isinstance(node.args[1], ast.Name) and node.args[1].id == "self"):
                edits.append((node, "super()"))
    return apply_edits(source, edits)


def join_generator(source):
    tree = ast.parse(source)
    return apply_edits(source, [(n.args[0], segment(source, n.args[0])[1:-1]) for n in ast.walk(tree)
                                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                                and n.func.attr == "join" and len(n.args) == 1 and isinstance(n.args[0], ast.ListComp)])


ALIASES = {"float", "int", "bool", "object", "str", "complex"}


def numpy_aliases(source):
    tree = ast.parse(source)
    return apply_edits(source, [(n, n.attr) for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                                and n.attr in ALIASES and isinstance(n.value, ast.Name) and n.value.id == "np"])


def yield_from(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.For) and isinstance(node.target, ast.Name) and len(node.body) == 1
                and not node.orelse and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Yield) and isinstance(node.body[0].value.value, ast.Name)
                and node.body[0].value.value.id == node.target.id):
            edits.append((node, f"yield from {segment(source, node.iter)}"))
    return apply_edits(source, edits)


def _add_import(source, line):
    """``line`` after the file's last top-level import (or at the top, then blank lines as black leaves)."""
    if not source.splitlines() or line in source.splitlines():
        return source
    lines = source.splitlines(keepends=True)
    imports = [i for i, text in enumerate(lines) if text.startswith(("import ", "from "))]
    if imports:
        return "".join([*lines[:imports[-1] + 1], line + "\n", *lines[imports[-1] + 1:]])
    blank = "\n\n" if lines[0].startswith(("def ", "class ")) else "\n"
    return line + "\n" + blank + source


def swap_temp(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for first, second, third in zip(body, body[1:], body[2:], strict=False):
            if all(isinstance(s, ast.Assign) and len(s.targets) == 1 for s in (first, second, third)):
                t, a = segment(source, first.targets[0]), segment(source, first.value)
                if (segment(source, second.targets[0]) == a and segment(source, third.targets[0]) ==
                        (b := segment(source, second.value)) and segment(source, third.value) == t):
                    span = _Span(first.lineno, first.col_offset, third.end_col_offset, third.end_lineno)
                    edits.append((span, f"{a}, {b} = {b}, {a}"))
    return apply_edits(source, edits)


def getcwd_pathlib(source):
    tree = ast.parse(source)
    edits = [(n, "Path.cwd()") for n in ast.walk(tree) if isinstance(n, ast.Call) and not n.args
             and isinstance(n.func, ast.Attribute) and n.func.attr == "getcwd"
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "os"]
    return _add_import(apply_edits(source, edits), "from pathlib import Path") if edits else source


def rename_method(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "getData":
            edits.append((node, f"{segment(source, node.value)}.get_data"))
        elif isinstance(node, ast.FunctionDef) and node.name == "getData":
            line = source.splitlines(keepends=True)[node.lineno - 1]
            start = line.index("getData")
            edits.append((_Span(node.lineno, start, start + len("getData")), "get_data"))
    return apply_edits(source, edits)


def range_zero(source):
    tree = ast.parse(source)
    return apply_edits(source, [(n, f"range({segment(source, n.args[1])})") for n in _calls(tree, "range")
                                if len(n.args) == 2 and isinstance(n.args[0], ast.Constant) and n.args[0].value == 0
                                and not isinstance(n.args[0].value, bool)])


def ioerror_oserror(source):
    tree = ast.parse(source)
    return apply_edits(source, [(n, "OSError") for n in ast.walk(tree)
                                if isinstance(n, ast.Name) and n.id == "IOError"])


def dict_get_default(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.If) and len(node.body) == 1 and len(node.orelse) == 1
                and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
                and isinstance(node.test.ops[0], ast.In)):
            continue
        then, other = node.body[0], node.orelse[0]
        key, mapping = segment(source, node.test.left), segment(source, node.test.comparators[0])
        if (isinstance(then, ast.Assign) and isinstance(other, ast.Assign) and len(then.targets) == 1
                and segment(source, then.targets[0]) == segment(source, other.targets[0])
                and isinstance(then.value, ast.Subscript) and segment(source, then.value.value) == mapping
                and segment(source, then.value.slice) == key):
            edits.append((node, f"{segment(source, then.targets[0])} = {mapping}.get({key}, "
                                f"{segment(source, other.value)})"))
    return apply_edits(source, edits)


def makedirs_exist_ok(source):
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and len(node.body) == 1 and not node.orelse
                and isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
                and segment(source, node.test.operand).startswith("os.path.exists(")
                and isinstance(node.body[0], ast.Expr)
                and segment(source, node.body[0]).startswith("os.makedirs(")):
            path = segment(source, node.test.operand.args[0])
            if segment(source, node.body[0].value.args[0]) == path and len(node.body[0].value.args) == 1:
                edits.append((node, f"os.makedirs({path}, exist_ok=True)"))
    return apply_edits(source, edits)


def sys_exit(source):
    tree = ast.parse(source)
    edits = [(n.func, "sys.exit") for n in _calls(tree, "exit")]
    return _add_import(apply_edits(source, edits), "import sys") if edits else source


REFERENCES = {
    "dict_literal": _empty_call("dict", "{}"), "list_literal": _empty_call("list", "[]"), "is_none": is_none,
    "assert_equals": _rename_methods({"assertEquals": "assertEqual", "assertNotEquals": "assertNotEqual"}),
    "logging_warn": logging_warn, "time_clock": time_clock, "collections_abc": collections_abc,
    "isinstance_type": isinstance_type, "len_zero": len_zero, "dict_keys_iter": dict_keys_iter,
    "sorted_list": sorted_list, "format_to_fstring": format_to_fstring, "rename_function": rename_function,
    "super_call": super_call, "join_generator": join_generator, "numpy_aliases": numpy_aliases,
    "yield_from": yield_from, "swap_temp": swap_temp, "getcwd_pathlib": getcwd_pathlib,
    "rename_method": rename_method, "range_zero": range_zero, "ioerror_oserror": ioerror_oserror,
    "dict_get_default": dict_get_default, "makedirs_exist_ok": makedirs_exist_ok, "sys_exit": sys_exit,
}
