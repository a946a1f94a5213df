"""Structural rewrite rules, executed by ast-grep (``ast-grep-py``, tree-sitter's Python grammar).

A rule is a pattern with metavariables (``$A`` one node, ``$$$A`` a run of nodes), a fix
template over the same metavariables, and where it may apply: the matched node's kind, the
(parent kind, field) contexts it may sit in, constraints on metavariables (an ast-grep rule each:
``{"kind": ...}``, ``{"regex": ...}``) and imports the rewritten file needs. ``apply_rules``
rewrites every match (outermost first; overlapping inner matches wait for a second pass) and
splices the fixes into the original text, so untouched code stays byte-identical; a fix spanning
lines is re-indented to where it lands.

``ENGINE`` is the same code as source text: ``rule_module`` writes a standalone transform module
(the rules as JSON data and this engine) that ``codeloop transform apply`` runs like any other.
"""

from __future__ import annotations

import json
import pprint
import re
from dataclasses import asdict, dataclass, field

ENGINE = r'''
import re

from ast_grep_py import SgRoot

_METAVARIABLE = re.compile(r"\$\$\$([A-Z][A-Z0-9_]*)|\$([A-Z][A-Z0-9_]*)")


def rule_config(rule: dict) -> dict:
    """The ast-grep rule object of a codeloop rule."""
    # strictness "cst": every node, punctuation and operators included, must match (ast-grep's default
    # "smart" lets a one-statement block pattern match a longer block)
    pattern = {"context": rule["pattern"], "strictness": "cst"}
    body = {"pattern": pattern}
    if rule.get("kind"):
        body = {"all": [{"pattern": pattern}, {"kind": rule["kind"]}]}
    contexts = [{"inside": {"kind": kind, "stopBy": "neighbor", **({"field": name} if name else {})}}
                for kind, name in rule.get("contexts", [])]
    if contexts:
        body = {"all": [body, {"any": contexts}]}
    for name, kind in (rule.get("enclosing") or {}).items():  # $NAME is the name of the definition it is in
        body = {"all": [body, {"inside": {"kind": kind, "stopBy": "end",
                                          "has": {"field": "name", "pattern": "$" + name}}}]}
    excluded = [{"pattern": {"context": text, "strictness": "cst"}} for text in rule.get("exclude", [])]
    if excluded:  # where it must not apply: code the training pairs leave unchanged
        body = {"all": [body, {"not": {"any": excluded}}]}
    return {"rule": body, "constraints": rule.get("constraints") or {}}


def _render(fix: str, match, source: str, bound: dict | None = None) -> str:
    def value(found) -> str:
        if bound is not None:
            return bound.get(found.group(1) or found.group(2), found.group(0))
        if found.group(1):
            nodes = match.get_multiple_matches(found.group(1))
            return source[nodes[0].range().start.index:nodes[-1].range().end.index] if nodes else ""
        node = match.get_match(found.group(2))
        return node.text() if node is not None else found.group(0)
    text = _METAVARIABLE.sub(value, fix)
    indent = " " * match.range().start.column
    return text.replace("\n", "\n" + indent)


def _statement(node):
    """The statement a match is (an expression's match is the statement around it)."""
    while node.parent() is not None and node.parent().range() == node.range() and node.parent().kind() != "module":
        node = node.parent()
    return node


def _bindings(node, pattern: str, constraints: dict) -> dict | None:
    """The metavariables of ``pattern`` matched against the whole of ``node`` (each meeting its
    constraint), or None."""
    for match in node.find_all({"rule": {"pattern": {"context": pattern, "strictness": "cst"}}}):
        if _statement(match).range() != node.range():
            continue
        bound = {}
        for many, one in set(_METAVARIABLE.findall(pattern)):
            found = match.get_match(many or one)
            if found is None or (one in constraints and not found.matches(**constraints[one])):
                return None
            bound[many or one] = found.text()
        return bound
    return None


def _statements(pattern: str) -> list:
    """The statements of a pattern (its metavariables hidden from the parser meanwhile)."""
    hidden = _METAVARIABLE.sub(lambda m: f"__many_{m.group(1)}" if m.group(1) else f"__one_{m.group(2)}", pattern)
    shown = re.compile(r"__many_([A-Z][A-Z0-9_]*)|__one_([A-Z][A-Z0-9_]*)")
    return [shown.sub(lambda m: f"$$${m.group(1)}" if m.group(1) else f"${m.group(2)}", child.text())
            for child in SgRoot(hidden, "python").root().children()]


def _sequence_spans(rule: dict, root, source: str) -> list:
    """Matches of a run of statements: each statement of the pattern on consecutive siblings, every
    metavariable bound to the same text throughout."""
    patterns = _statements(rule["pattern"])
    contexts = {kind for kind, _ in rule.get("contexts", [])}
    spans = []
    for first in root.find_all({"rule": {"pattern": {"context": patterns[0], "strictness": "cst"}}}):
        node = _statement(first)
        parent = node.parent()
        if contexts and (parent is None or parent.kind() not in contexts):
            continue
        bound, run = {}, [node]
        for pattern in patterns:
            found = _bindings(run[-1], pattern, rule.get("constraints") or {}) if run[-1] is not None else None
            if found is None or any(bound.get(name, text) != text for name, text in found.items()):
                break
            bound.update(found)
            run.append(run[-1].next())
        else:
            last = run[-2]
            spans.append((node.range().start.index, last.range().end.index, _render(rule["fix"], node, source, bound)))
    return spans


def _add_imports(source: str, imports: list) -> str:
    lines = source.splitlines(keepends=True)
    missing = [line for line in imports if line not in {text.rstrip("\r\n") for text in lines}]
    if not missing:
        return source
    at = 0
    for index, line in enumerate(lines):
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__"):
            at = index + 1
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    added = [line + newline for line in missing]
    if at == 0:  # the file's first imports: after its comments, then blank lines as black would leave
        while at < len(lines) and (lines[at].startswith(("#", "from __future__")) or not lines[at].strip()):
            at += 1
        following = lines[at] if at < len(lines) else ""
        added += [newline] * (2 if following.startswith(("def ", "class ", "@", "async def ")) else 1)
    return "".join(lines[:at] + added + lines[at:])


def apply_rules(rules: list, source: str) -> str:
    """``source`` with every rule's matches rewritten (outermost first, the rest byte-identical)."""
    root = SgRoot(source, "python").root()
    spans, needed = [], []
    for rule in rules:
        if rule.get("kind") == "statements":
            found = _sequence_spans(rule, root, source)
        else:
            found = [(match.range().start.index, match.range().end.index, _render(rule["fix"], match, source))
                     for match in root.find_all(rule_config(rule))]
        spans += found
        if found:
            needed += [line for line in rule.get("imports", []) if line not in needed]
    kept, reach = [], -1
    for begin, end, text in sorted(spans, key=lambda span: (span[0], -span[1])):
        if begin >= reach:
            kept.append((begin, end, text))
            reach = end
    for begin, end, text in reversed(kept):
        source = source[:begin] + text + source[end:]
    return _add_imports(source, needed) if kept and needed else source
'''

_namespace: dict = {}
exec(compile(ENGINE, "codeloop/transforms/rules.py:ENGINE", "exec"), _namespace)  # the one engine, also shipped
_apply = _namespace["apply_rules"]
rule_config = _namespace["rule_config"]


@dataclass(frozen=True)
class Rule:
    pattern: str
    fix: str
    kind: str | None = None
    contexts: tuple[tuple[str, str | None], ...] = ()
    constraints: dict[str, dict] = field(default_factory=dict)
    imports: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # code it must not rewrite (each an exact pattern, no metavariables)
    enclosing: dict[str, str] = field(default_factory=dict)  # metavariable -> the kind of definition it names

    def as_dict(self) -> dict:
        data = asdict(self)
        data["contexts"] = [list(context) for context in self.contexts]
        data["imports"] = list(self.imports)
        data["exclude"] = list(self.exclude)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Rule:
        unknown = set(data) - {"pattern", "fix", "kind", "contexts", "constraints", "imports", "exclude", "enclosing"}
        if unknown or not isinstance(data.get("pattern"), str) or not isinstance(data.get("fix"), str):
            raise ValueError(f"a rule needs string fields pattern and fix (and optionally kind, contexts, "
                             f"constraints, imports); got {sorted(data)}")
        return cls(data["pattern"], data["fix"], data.get("kind"),
                   tuple((kind, name) for kind, name in data.get("contexts", [])),
                   dict(data.get("constraints") or {}), tuple(data.get("imports", [])),
                   tuple(data.get("exclude", [])), dict(data.get("enclosing") or {}))

    def describe(self) -> str:
        where = f" inside {', '.join(f'{k}.{f}' if f else k for k, f in self.contexts)}" if self.contexts else ""
        constraints = "".join(f"; ${name}: {json.dumps(rule)}" for name, rule in self.constraints.items())
        imports = f"; adds {', '.join(self.imports)}" if self.imports else ""
        exclude = f"; never {', '.join(map(repr, self.exclude))}" if self.exclude else ""
        names = "".join(f"; ${name} names the enclosing {kind}" for name, kind in self.enclosing.items())
        return f"{self.pattern!r} -> {self.fix!r}{where}{constraints}{imports}{exclude}{names}"


def apply_rules(rules: list[Rule], source: str) -> str:
    return _apply([rule.as_dict() for rule in rules], source)


def engine_error(error: Exception) -> str:
    """ast-grep's message for a rule it cannot use, in one line (its causes, no backtrace)."""
    text = str(error).split("Stack backtrace:")[0]
    lines = [line.strip() for line in text.splitlines() if line.strip() and line.strip() != "Caused by:"]
    return "; ".join(re.sub(r"^\d+: ", "", line) for line in lines)[:300]


def rule_module(name: str, rules: list[Rule], note: str) -> str:
    """A standalone transform module: the rules as data, the engine, ``transform(source)``."""
    described = "\n".join(f"    {rule.describe()}" for rule in rules)
    data = pprint.pformat([rule.as_dict() for rule in rules], width=110, sort_dicts=False)
    return (f'r"""{name}: structural rewrite rules (ast-grep).\n\n{described}\n\n{note}\n"""\n{ENGINE}\n'
            f"RULES = {data}\n\n\ndef transform(source: str) -> str:\n    return apply_rules(RULES, source)\n")
