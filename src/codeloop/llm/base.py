"""One chat interface for every backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# {"role": "system" | "user" | "assistant", "content": text, or OpenAI content parts (text, image_url)}
Message = dict[str, Any]


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings; temperature 0 means greedy decoding."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int | None = None
    n: int = 1
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.max_tokens < 1 or self.n < 1:
            raise ValueError(f"invalid sampling parameters: {self}")


CONTEXT_FULL = "context"  # a Completion's finish_reason when the conversation does not fit the model


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    finish_reason: str = ""  # the server's ("stop", "length"), or CONTEXT_FULL: no reply was possible
    extra: dict = field(default_factory=dict)


class ChatModel(Protocol):
    """What the loop needs from a model: ``n`` replies to a conversation."""

    name: str

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]: ...


class ScriptedModel:
    """Replies from a fixed script, in order: for testing the loop's mechanics, never for results."""

    def __init__(self, replies: list[str], name: str = "scripted") -> None:
        self.name = name
        self.replies = list(replies)
        self.calls: list[list[Message]] = []

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        self.calls.append([dict(m) for m in messages])
        if not self.replies:
            raise RuntimeError("scripted model has no replies left")
        return [Completion(self.replies.pop(0), prompt_tokens=1, completion_tokens=1) for _ in range(params.n)]
