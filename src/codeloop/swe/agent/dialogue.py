"""A model working on an instance through the agent-computer interface (``aci``): one command per
reply, the observation fed back, until it submits, or the step budget runs out, or it gives the
same reply ``REPEATS_TO_STOP`` times in a row (its changes are then submitted, as SWE-agent does
at the budget). Older observations are collapsed to one line, as in SWE-agent's history
processor, so long sessions fit a small model's context.

Multimodal problem statements (SWE-bench Multimodal, arXiv 2410.03859): the images of
``image_assets`` (read from ``--assets DIR`` by file name: this machine has no network) go to
models that accept images as OpenAI ``image_url`` content parts (data URLs); text-only models
get each image's alt text and a note saying so.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import time
from collections.abc import Callable
from pathlib import Path

from codeloop.llm import ChatModel, Message, SamplingParams
from codeloop.llm.base import CONTEXT_FULL
from codeloop.loop import Turn
from codeloop.swe.agent.aci import COMMANDS, DOCS, Workspace
from codeloop.swe.harness.instances import Instance

SYSTEM = f"""You are a software engineer fixing an issue in a git repository. You work through a \
terminal-like interface, one command at a time. Each reply: one or two sentences of thought, then \
exactly one command in a ``` block. The commands:

{DOCS}

Find the code the issue is about, make the smallest change that fixes it, run the tests, then submit.
Only these commands work: to change a file, open it and use edit; to run code or tests, use run.

An example reply:
The issue is about `slugify`; first I find the files that mention it.
```
search_dir slugify
```"""
FORMAT_REMINDER = ("Your reply had no command. Reply with a short thought and exactly one command in a ``` block, "
                   "for example:\n```\nfind_file README.md\n```")
KEEP_OBSERVATIONS = 4
REPEATS_TO_STOP = 3  # the same reply this many times in a row: greedy decoding is stuck, stop early
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
TEXT_ONLY_NOTE = ("(This model cannot see images: each image in the issue is replaced by its description in "
                  "square brackets.)")


def command_blocks(reply: str) -> list[str]:
    return [block for block in re.findall(r"```[\w-]*\n(.*?)```", reply, re.S) if block.strip()]


def parse_command(reply: str) -> str | None:
    """The command in the reply's first ``` block (a reply that plans several steps is run one
    step at a time), or a line starting with a command name (an ``edit`` runs to its ``end_of_edit``)."""
    blocks = command_blocks(reply)
    if blocks:
        return blocks[0].strip("\n")
    lines = reply.splitlines()
    for index, line in enumerate(lines):
        if line.split(maxsplit=1)[:1] and line.split(maxsplit=1)[0] in COMMANDS:
            if line.startswith("edit"):
                end = next((j for j in range(index, len(lines)) if lines[j].strip() == "end_of_edit"), None)
                return "\n".join(lines[index:end + 1]) if end is not None else None
            return line.strip()
    return None


def _image_file(url: str, assets: Path | None) -> Path | None:
    if assets is None:
        return None
    path = assets / url.rstrip("/").rsplit("/", 1)[-1]
    return path if path.is_file() else None


def problem_message(instance: Instance, assets: Path | None, images: bool) -> Message:
    """The first user message: the issue, with its images as content parts or as alt text."""
    statement = instance.problem_statement
    found = [(alt, url, _image_file(url, assets)) for alt, url in IMAGE.findall(statement)]
    listed = [url for url in instance.image_assets.get("problem_statement", []) if url not in
              {url for _, url, _ in found}]
    found += [("an image attached to the issue", url, _image_file(url, assets)) for url in listed]
    intro = f"The issue, in the repository {instance.repo} (checked out at the repository root):\n\n"
    if images and found and all(path for _, _, path in found):
        parts: list[dict] = [{"type": "text", "text": intro + statement}]
        for _, _, path in found:
            kind = mimetypes.guess_type(path.name)[0] or "image/png"
            data = base64.b64encode(path.read_bytes()).decode()
            parts.append({"type": "image_url", "image_url": {"url": f"data:{kind};base64,{data}"}})
        return {"role": "user", "content": parts}
    if found:
        statement = IMAGE.sub(lambda m: f"[image: {m.group(1) or 'no description'}]", statement)
        statement += "".join("\n[image: an image attached to the issue, no description]" for _ in listed)
        statement += "\n\n" + TEXT_ONLY_NOTE
    return {"role": "user", "content": intro + statement}


def _compact(messages: list[Message]) -> list[Message]:
    """Observations older than the last ``KEEP_OBSERVATIONS`` collapsed to one line."""
    observations = [i for i, m in enumerate(messages) if m.get("observation")]
    old = set(observations[:-KEEP_OBSERVATIONS])
    out = []
    for index, message in enumerate(messages):
        content = message["content"]
        if index in old:
            content = f"Old output omitted ({len(content.splitlines())} lines)."
        out.append({"role": message["role"], "content": content})
    return out


def _stored(messages: list[Message]) -> list[Message]:
    """Messages as stored: image data replaced by its size."""
    def short(part: dict) -> dict:
        if part.get("type") == "image_url":
            url = part["image_url"]["url"]
            return {"type": "image_url", "image_url": {"url": f"{url[:30]}... ({len(url)} characters)"}}
        return part
    return [m if isinstance(m["content"], str) else {**m, "content": [short(p) for p in m["content"]]}
            for m in messages]


def solve(instance: Instance, model: ChatModel, workspace: Workspace, steps: int, params: SamplingParams,
          assets: Path | None = None, images: bool | None = None,
          on_turn: Callable[[Turn], None] | None = None) -> tuple[str, list[Turn]]:
    """(patch, turns): the model works on ``workspace`` for at most ``steps`` commands."""
    if images is None:
        images = bool(getattr(model, "accepts_images", False))
    messages: list[Message] = [{"role": "system", "content": SYSTEM}, problem_message(instance, assets, images)]
    turns: list[Turn] = []
    patch = None
    for step in range(1, steps + 1):
        sent = _compact(messages)
        completion = model.chat(sent, params)[0]
        command = parse_command(completion.text)
        start = time.perf_counter()
        if command is None:
            observation, submitted = FORMAT_REMINDER, False
        else:
            result = workspace.execute(command)
            observation, submitted = result.text, result.submitted
            if len(command_blocks(completion.text)) > 1 and not submitted:
                observation = f"(Only your first command was run: one command per reply.)\n{observation}"
        turn = Turn(turn=step, messages=_stored(sent), reply=completion.text, code=command, program=None,
                    feedback=observation, prompt_tokens=completion.prompt_tokens,
                    completion_tokens=completion.completion_tokens, generate_s=completion.seconds,
                    execute_s=time.perf_counter() - start)
        turns.append(turn)
        if on_turn:
            on_turn(turn)
        if submitted:
            patch = observation
            break
        if completion.finish_reason == CONTEXT_FULL or (
                len(turns) >= REPEATS_TO_STOP and len({t.reply for t in turns[-REPEATS_TO_STOP:]}) == 1):
            break
        messages += [{"role": "assistant", "content": completion.text},
                     {"role": "user", "content": observation, "observation": True}]
    return (workspace.diff() if patch is None else patch), turns
