"""The direct-rewrite baseline: the same model rewrites each file itself, shown the examples."""

from __future__ import annotations

from codeloop.llm import ChatModel, SamplingParams
from codeloop.loop import extract_code
from codeloop.transforms.spec import TransformSpec
from codeloop.transforms.synthesize import show_pair


def rewrite_prompt(spec: TransformSpec, source: str) -> str:
    examples = "\n\n".join(f"Example {i}.\n{show_pair(p)}" for i, p in enumerate(spec.train, 1))
    hint = f"Hint: {spec.hint}\n\n" if spec.hint else ""
    return (f"Here are examples of a code transformation, each a Python file before and after it.\n\n{hint}{examples}"
            f"\n\nApply the same transformation to this file. Change nothing else; if the transformation does not "
            f"apply, return the file unchanged.\n```python\n{source}```\n"
            "Reply with the whole file in one ```python block.")


def rewrite(spec: TransformSpec, model: ChatModel, source: str, max_tokens: int = 1024) -> str | None:
    reply = model.chat([{"role": "user", "content": rewrite_prompt(spec, source)}],
                       SamplingParams(max_tokens=max_tokens))[0].text
    return extract_code(reply)
