"""Edits spliced into the original text: code a transform does not touch stays byte-identical.

Transforms in codeloop match with the standard library's ``ast`` (fast: a C parser) and replace
the exact source span of each matched node, so formatting and comments elsewhere are kept, as a
LibCST codemod would keep them, without building a concrete syntax tree. ``HELPER`` is the
same function as source text: every synthesized transform carries it, staying standalone.
"""

from __future__ import annotations

import ast

HELPER = '''
def apply_edits(source: str, edits: list) -> str:
    """Replace the source of each (node, new_text) edit; the rest stays byte-identical.

    Columns in ``ast`` are UTF-8 byte offsets, so the splicing happens on bytes. Of overlapping
    edits the outermost (first starting, then longest) wins; run the transform again for the rest.
    """
    data = source.encode()
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans = sorted((starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset,
                    text) for node, text in edits)
    kept, reach = [], -1
    for begin, end, text in sorted(spans, key=lambda span: (span[0], -span[1])):
        if begin >= reach:
            kept.append((begin, end, text))
            reach = end
    for begin, end, text in reversed(kept):
        data = data[:begin] + text.encode() + data[end:]
    return data.decode()
'''

_namespace: dict = {}
exec(compile(HELPER, "codeloop/transforms/splice.py:HELPER", "exec"), _namespace)
apply_edits = _namespace["apply_edits"]


def segment(source: str, node: ast.AST) -> str:
    """The exact source text of ``node``."""
    return ast.get_source_segment(source, node) or ""
