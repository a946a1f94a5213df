"""Rules from examples without a model: anti-unification of the before/after pairs.

The recipe of Getafix (Bader et al., OOPSLA 2019, sec. 3) on tree-sitter trees:

1. **Edits.** Each training pair is diffed top-down; where before and after stop having the same
   shape, that node pair is one edit (a node whose text reappears whole inside the other side is
   a wrap or unwrap, one edit). A renamed name is lifted to its ``object.name`` parent so the
   rule sees what it is a name of.
2. **Anti-unification.** The edits of a cluster are generalised together (Plotkin's least general
   generalisation): where their befores agree the pattern keeps the text, where they differ it has
   a metavariable, the same one wherever the same tuple of texts recurs; the afters are generalised
   over the befores' metavariables, and a difference the befores do not explain makes the cluster
   impossible. A name copied from before to after in a value position is a metavariable even in a
   one-edit cluster (function, method and keyword names stay concrete: they are the API).
3. **Clusters.** Edits are merged greedily while their generalisation stays expressible; each
   cluster gives one rule.
4. **Where it applies.** The rule keeps the node kind it rewrites, the (parent kind, field) contexts
   the training edits sat in, the kinds of each metavariable's values (a name stands for dotted
   names too), when its distinct values share a prefix of 3+ characters that prefix, and, when a
   metavariable always named the class it was written in, that relation.
5. **Check.** The rules must reproduce every training pair exactly (unchanged code is the implicit
   negative); if they do not, what they match in code the pairs leave unchanged becomes an
   exclusion ("where it must not apply"), else their metavariables are pinned to the values seen,
   else the edits grow a parent and all is tried again; what still fails is reported by pair and line.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import re
from dataclasses import dataclass, field

from ast_grep_py import SgNode, SgRoot

from codeloop.transforms.edits import NOT_PATTERNS, Run, context, descendants, edits, lift, same_tokens
from codeloop.transforms.rules import Rule, apply_rules, engine_error, rule_config
from codeloop.transforms.spec import Pair

NAME_KINDS = ("identifier", "attribute")
API_POSITIONS = {("call", "function"), ("attribute", "attribute"), ("keyword_argument", "name"),
                 ("function_definition", "name"), ("class_definition", "name")}
NEVER_HOLES = {("call", "function"), ("function_definition", "name"), ("class_definition", "name")}
MIN_PREFIX = 3


@dataclass
class Edit:
    pair: str
    before: SgNode
    after: SgNode
    imports: tuple[str, ...] = ()  # import lines the pair's after gained


@dataclass
class _Holes:
    names: dict[tuple[str, ...], str] = field(default_factory=dict)
    kinds: dict[str, set[str]] = field(default_factory=dict)
    values: dict[str, set[str]] = field(default_factory=dict)
    nodes: dict[str, list[SgNode]] = field(default_factory=dict)  # each edit's node of each metavariable

    def get(self, nodes: list[SgNode]) -> str:
        key = tuple(n.text() for n in nodes)
        name = self.names.setdefault(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[len(self.names) % 26] +
                                     ("" if len(self.names) < 26 else str(len(self.names) // 26)))
        self.kinds.setdefault(name, set()).update(n.kind() for n in nodes)
        self.values.setdefault(name, set()).update(key)
        self.nodes.setdefault(name, nodes)
        return name


def _names_enclosing_class(nodes: list[SgNode]) -> bool:
    """Is each node's text the name of the class it is written in (``super(A, self)`` in ``class A``)?"""
    for node in nodes:
        owner = next((a for a in node.ancestors() if a.kind() == "class_definition"), None)
        if owner is None or owner.field("name") is None or owner.field("name").text() != node.text():
            return False
    return True


def _copied(edit: Edit) -> set[str]:
    """Names of the before copied into the after, in value positions."""
    before = {n.text() for n in edit.before.find_all(kind="identifier") if context(n) not in API_POSITIONS}
    after = {n.text() for n in [edit.after, *descendants(edit.after)] if n.kind() == "identifier"}
    return before & after


def _holds_copied(node: SgNode, copied: set[str]) -> bool:
    return any(n.kind() == "identifier" and n.text() in copied and context(n) not in API_POSITIONS
               for n in [node, *descendants(node)])


def generalise(cluster: list[Edit]) -> Rule | None:
    """The least general rule covering every edit of ``cluster``, or None when it is not expressible."""
    holes = _Holes()
    # in a one-edit cluster a copied name is a metavariable; where several edits agree on it, it is evidence
    copied = _copied(cluster[0]) if len(cluster) == 1 else set()
    spans: list[tuple[int, int, str]] = []

    def before_term(nodes: list[SgNode], root: bool) -> bool:
        texts = {n.text() for n in nodes}
        if not root and all(n.kind() == "identifier" and context(n) not in API_POSITIONS for n in nodes) \
                and (len(texts) > 1 or texts <= copied):
            spans.append((*_span(nodes[0]), "$" + holes.get(nodes)))
            return True
        if len(texts) == 1 and not _holds_copied(nodes[0], copied):
            return True
        children = [n.children() for n in nodes]
        mark = len(spans)
        if children[0] and len({n.kind() for n in nodes}) == 1 and \
                all(same_tokens(children[0], c) for c in children[1:]) and \
                all(before_term(list(column), False) for column in zip(*children, strict=True)):
            return True
        del spans[mark:]
        if root or not all(n.is_named() for n in nodes) or nodes[0].kind() in NOT_PATTERNS or \
                all(n.kind() == "identifier" and context(n) in NEVER_HOLES for n in nodes):
            return False
        spans.append((*_span(nodes[0]), "$" + holes.get(nodes)))
        return True

    if not before_term([e.before for e in cluster], True):
        return None
    pattern = _render(cluster[0].before, spans)
    spans = []

    def after_term(nodes: list[SgNode]) -> bool:
        key = tuple(n.text() for n in nodes)
        if key in holes.names and all(n.is_named() for n in nodes) and "$" + holes.names[key] in pattern:
            spans.append((*_span(nodes[0]), "$" + holes.names[key]))
            return True
        children = [n.children() for n in nodes]
        mark = len(spans)
        if len({n.kind() for n in nodes}) == 1 and len({len(c) for c in children}) == 1 and children[0] and \
                all(after_term(list(column)) for column in zip(*children, strict=True)):
            return True
        del spans[mark:]
        return len(set(key)) == 1

    if not after_term([e.after for e in cluster]):
        return None
    fix = _render(cluster[0].after, spans)
    constraints = {}
    for name, kinds in holes.kinds.items():
        if not re.search(rf"\${name}\b", pattern):
            continue
        if kinds <= set(NAME_KINDS):
            kinds = set(NAME_KINDS)
        rule: dict = {"any": [{"kind": kind} for kind in sorted(kinds)]}
        prefix = _common_prefix([v.rsplit(".", 1)[-1] for v in holes.values[name]])
        if len(holes.values[name]) > 1 and len(prefix) >= MIN_PREFIX:
            rule = {"all": [rule, {"regex": rf"(^|\.){re.escape(prefix)}\w*$"}]}
        constraints[name] = rule
    contexts = tuple(sorted({context(e.before) for e in cluster}, key=lambda c: (c[0], c[1] or "")))
    imports = tuple(dict.fromkeys(line for edit in cluster for line in edit.imports))
    enclosing = {name: "class_definition" for name, nodes in holes.nodes.items()
                 if re.search(rf"\${name}\b", pattern) and _names_enclosing_class(nodes)}
    return Rule(pattern, fix, cluster[0].before.kind(), contexts, constraints, imports, enclosing=enclosing)


def _common_prefix(words: list[str]) -> str:
    shortest = min(words, key=len)
    for index, char in enumerate(shortest):
        if any(word[index] != char for word in words):
            return shortest[:index]
    return shortest


def _span(node: SgNode) -> tuple[int, int]:
    span = node.range()
    return span.start.index, span.end.index


def _render(root: SgNode, spans: list[tuple[int, int, str]]) -> str:
    """``root``'s text with the spans replaced, later lines dedented by its start column."""
    start, _ = _span(root)
    text = root.text()
    for begin, end, replacement in sorted(spans, reverse=True):
        text = text[:begin - start] + replacement + text[end - start:]
    column = root.range().start.column
    return "\n".join(line[column:] if index and line[:column].strip() == "" else line
                     for index, line in enumerate(text.split("\n")))


def exclude_unchanged(rule: Rule, pairs: list[Pair]) -> Rule:
    """``rule`` told not to rewrite what it matches in code the training pairs leave unchanged."""
    if rule.kind == "statements":
        return rule
    excluded = []
    for pair in pairs:
        matcher = difflib.SequenceMatcher(a=pair.before, b=pair.after, autojunk=False)
        unchanged = [(i, i + size) for i, _, size in matcher.get_matching_blocks() if size]
        try:
            matches = SgRoot(pair.before, "python").root().find_all(rule_config(rule.as_dict()))
        except RuntimeError:
            return rule
        for match in matches:
            start, end = _span(match)
            if any(low <= start and end <= high for low, high in unchanged) and match.text() not in excluded:
                excluded.append(match.text())
    return dataclasses.replace(rule, exclude=tuple(excluded)) if excluded else rule


def pin(rule: Rule, cluster: list[Edit]) -> Rule:
    """``rule`` with each metavariable restricted to the texts it had in the training edits."""
    constraints = dict(rule.constraints)
    for name in re.findall(r"\$([A-Z][A-Z0-9_]*)", rule.pattern):
        values = set()
        for edit in cluster:
            try:
                match = SgRoot(edit.before.text(), "python").root().find(pattern=rule.pattern)
            except RuntimeError:  # a pattern ast-grep cannot use
                return rule
            node = match.get_match(name) if match else None
            if node is not None:
                values.add(node.text())
        if values:
            regex = {"regex": "^(" + "|".join(re.escape(v) for v in sorted(values)) + ")$"}
            constraints[name] = {"all": [constraints[name], regex]} if name in constraints else regex
    return dataclasses.replace(rule, constraints=constraints)


@dataclass
class RuleSynthesis:
    rules: list[Rule]
    solved: bool              # every training pair reproduced exactly
    problems: list[str]       # why not, per pair (which pair, which node)


IMPORT = re.compile(r"^(import|from)\s+\S")


def added_imports(pair: Pair) -> tuple[str, ...]:
    """The top-level import lines the after inserts (a changed import line is an edit, not one)."""
    before, after = pair.before.splitlines(), pair.after.splitlines()
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    return tuple(line for tag, _, _, j1, j2 in matcher.get_opcodes() if tag == "insert"
                 for line in after[j1:j2] if IMPORT.match(line))


def training_edits(pairs: list[Pair]) -> list[Edit]:
    found = []
    for pair in pairs:
        imports = added_imports(pair)
        after = "\n".join(line for line in pair.after.splitlines() if line not in imports)
        for before_node, after_node in edits(SgRoot(pair.before, "python").root(), SgRoot(after, "python").root()):
            found.append(Edit(pair.name, *lift(before_node, after_node), imports))
    return found


def cluster(found: list[Edit]) -> list[list[Edit]]:
    """Greedy: each edit joins the first cluster of its context it generalises with, else starts one."""
    clusters: list[list[Edit]] = []
    for edit in found:
        for group in clusters:
            if context(group[0].before) == context(edit.before) and generalise([*group, edit]) is not None:
                group.append(edit)
                break
        else:
            clusters.append([edit])
    return clusters


def mismatches(rules: list[Rule], pairs: list[Pair]) -> list[str]:
    problems = []
    for pair in pairs:
        try:
            got = apply_rules(rules, pair.before)
        except Exception as error:  # a pattern ast-grep cannot parse
            problems.append(f"{pair.name}: the rules fail: {engine_error(error)}")
            continue
        if got != pair.after:
            line = next((i for i, (x, y) in enumerate(itertools.zip_longest(got.splitlines(), pair.after.splitlines()))
                         if x != y), 0)
            expected = (pair.after.splitlines() or [""])[min(line, len(pair.after.splitlines()) - 1)]
            problems.append(f"{pair.name}, line {line + 1}: expected {expected.strip()!r}, the rules give "
                            f"{(got.splitlines() or [''])[min(line, len(got.splitlines()) - 1)].strip()!r}")
    return problems


def _grow(edit: Edit, levels: int) -> Edit:
    before, after = edit.before, edit.after
    for _ in range(levels if not isinstance(before, Run) else 0):
        b_parent, a_parent = before.parent(), after.parent()
        if b_parent is None or a_parent is None or b_parent.kind() != a_parent.kind() or b_parent.kind() == "module":
            break
        before, after = lift(b_parent, a_parent)
    return Edit(edit.pair, before, after, edit.imports)


def _rules(found: list[Edit]) -> tuple[list[tuple[Rule, list[Edit]]], list[str]]:
    generalised, problems = [], []
    for group in cluster(found):
        rule = generalise(group)
        if rule is None:
            problems.append(f"{group[0].pair}: no rule expresses {group[0].before.text()!r} -> "
                            f"{group[0].after.text()!r}")
        else:
            generalised.append((rule, group))
    return generalised, problems


MAX_GROWTH = 3


def synthesize_rules(pairs: list[Pair]) -> RuleSynthesis:
    """Rules that reproduce every training pair: the edits as found, then pinned to the values
    seen, then grown one parent at a time; else the closest rules found and why they fall short."""
    base = training_edits(pairs)
    if not base:
        return RuleSynthesis([], False, ["no pair changes anything"])
    best: RuleSynthesis | None = None
    for levels in range(MAX_GROWTH + 1):
        generalised, problems = _rules([_grow(edit, levels) for edit in base])
        for rules in ([rule for rule, _ in generalised], [exclude_unchanged(rule, pairs) for rule, _ in generalised],
                      [pin(rule, group) for rule, group in generalised]):
            found = RuleSynthesis(rules, False, problems + mismatches(rules, pairs))
            found.solved = not found.problems
            if found.solved:
                return found
            if best is None or len(found.problems) < len(best.problems):
                best = found
    return best
