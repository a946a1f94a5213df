"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama): ``openai:URL#MODEL``."""

from __future__ import annotations

import os
import threading
import time

from codeloop.llm.base import CONTEXT_FULL, Completion, Message, SamplingParams


class OpenAIModel:
    """Chat completions over HTTP with bounded concurrency, retries with backoff, and timeouts.

    Retries (exponential backoff on connection errors, 408/409/429/5xx) and timeouts are the
    ``openai`` client's; ``concurrency`` bounds requests in flight from this process. Messages may
    carry images as content parts (``image_url``); whether the server's model reads them is the
    server's business.
    """

    accepts_images = True

    def __init__(self, base_url: str, model: str, concurrency: int = 8, retries: int = 4,
                 timeout_s: float = 600.0, api_key: str | None = None) -> None:
        try:
            import openai
        except ImportError:
            raise RuntimeError("the openai client is not installed: pip install 'codeloop[llm]'") from None
        self.name = model
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY", "none"),
                                     max_retries=retries, timeout=timeout_s)
        self._slots = threading.BoundedSemaphore(concurrency)
        self._bad_request = openai.BadRequestError

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        completions = []
        for index in range(params.n):  # one request per sample: not every server honours n > 1
            seed = None if params.seed is None else params.seed + index
            with self._slots:
                start = time.perf_counter()
                try:
                    reply = self._client.chat.completions.create(
                        model=self.name, messages=messages, temperature=params.temperature, top_p=params.top_p,
                        max_tokens=params.max_tokens, seed=seed, stop=list(params.stop) or None)
                except self._bad_request as error:  # vLLM, llama.cpp server: "maximum context length"
                    if "context" not in str(error).lower():
                        raise
                    completions.append(Completion("", finish_reason=CONTEXT_FULL, extra={"error": str(error)}))
                    continue
                seconds = time.perf_counter() - start
            choice = reply.choices[0]
            usage = reply.usage
            completions.append(Completion(choice.message.content or "", getattr(usage, "prompt_tokens", 0) or 0,
                                          getattr(usage, "completion_tokens", 0) or 0, seconds,
                                          choice.finish_reason or ""))
        return completions
