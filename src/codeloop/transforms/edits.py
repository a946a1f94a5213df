"""Where two versions of a file differ, as edits a rule can be written for (tree-sitter trees
through ast-grep): the top-down diff, runs of statements as one node, and the lifting of an edit
to a node a pattern can match."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ast_grep_py import SgNode

FIELDS = ("object", "attribute", "function", "arguments", "left", "right", "condition", "value", "name", "body",
          "argument", "operand", "module_name", "alternative", "consequence", "return_type", "type", "key")


def field_of(node: SgNode) -> str | None:
    parent = node.parent()
    if parent is None or not isinstance(node, SgNode):
        return None
    for name in FIELDS:
        child = parent.field(name)
        if child is not None and child.range() == node.range():
            return name
    return None


def context(node: SgNode) -> tuple[str, str | None]:
    parent = node.parent()
    return (parent.kind() if parent else "", field_of(node))


def contains(node: SgNode, text: str) -> bool:
    """Does a proper descendant of ``node`` have exactly ``text``?"""
    return any(d.text() == text for d in descendants(node))


def descendants(node: SgNode):
    for child in node.children():
        yield child
        yield from descendants(child)


def edits(before: SgNode, after: SgNode) -> list[tuple[SgNode, SgNode]]:
    """The (before node, after node) edits that turn ``before`` into ``after``."""
    if before.text() == after.text():
        return []
    b_children, a_children = before.children(), after.children()
    wrap = contains(before, after.text()) or contains(after, before.text())
    if before.kind() == after.kind() and b_children and not wrap and same_tokens(b_children, a_children):
        differing = [(x, y) for x, y in zip(b_children, a_children, strict=True) if x.text() != y.text()]
        if len(differing) > 1 and all(x.is_leaf() and y.is_leaf() for x, y in differing):
            return [(before, after)]  # several names of one small node: one edit (os.getcwd -> Path.cwd)
        return [e for x, y in differing for e in edits(x, y)]
    if before.kind() == after.kind() and before.kind() in ("module", "block"):
        matcher = difflib.SequenceMatcher(a=[c.text() for c in b_children], b=[c.text() for c in a_children],
                                          autojunk=False)
        found: list = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "replace" and i2 - i1 == j2 - j1:
                found += [e for x, y in zip(b_children[i1:i2], a_children[j1:j2], strict=True) for e in edits(x, y)]
            elif tag == "replace":  # several statements become others: one edit over the runs
                found.append((Run(b_children[i1:i2], before), Run(a_children[j1:j2], after)))
            elif tag != "equal":
                return [(before, after)]
        return found
    return [(before, after)]


@dataclass(frozen=True)
class _Span:
    start: object
    end: object


class Run:
    """Consecutive statements of one block, standing as one node (kind ``statements``) for
    anti-unification; the rule engine matches its statements on consecutive siblings."""

    def __init__(self, nodes: list[SgNode], parent: SgNode) -> None:
        self.nodes, self._parent = nodes, parent

    def kind(self) -> str:
        return "statements"

    def text(self) -> str:
        whole = self._parent.get_root().root().text()
        return whole[self.nodes[0].range().start.index:self.nodes[-1].range().end.index]

    def children(self) -> list[SgNode]:
        return list(self.nodes)

    def range(self) -> _Span:
        return _Span(self.nodes[0].range().start, self.nodes[-1].range().end)

    def parent(self) -> SgNode:
        return self._parent

    def is_named(self) -> bool:
        return True

    def is_leaf(self) -> bool:
        return False

    def find_all(self, **rule: str) -> list[SgNode]:
        return [found for node in self.nodes for found in node.find_all(**rule)]


def same_tokens(left: list[SgNode], right: list[SgNode]) -> bool:
    """Same number of children, named where the other is, the unnamed ones (operators,
    punctuation, keywords) the same text."""
    if len(left) != len(right):
        return False
    return all(x.is_named() == y.is_named() and (x.is_named() or x.text() == y.text())
               for x, y in zip(left, right, strict=True))


NOT_PATTERNS = {"argument_list", "keyword_argument", "parameters", "block", "for_in_clause", "if_clause",
                "expression_list", "pair"}


def lift(before: SgNode, after: SgNode) -> tuple[SgNode, SgNode]:
    """An edit grown to a node a pattern can match: a renamed name to its ``object.name``
    attribute (so the rule sees what it is a name of), an argument list to its call, ..."""
    while not isinstance(before, Run):
        b_parent, a_parent = before.parent(), after.parent()
        if b_parent is None or a_parent is None or b_parent.kind() != a_parent.kind():
            return before, after
        renamed = before.kind() == after.kind() == "identifier" and b_parent.kind() == "attribute" \
            and field_of(before) == "attribute"
        if not (renamed or before.kind() in NOT_PATTERNS or after.kind() in NOT_PATTERNS):
            return before, after
        before, after = b_parent, a_parent
    return before, after
