"""Local GGUF models through llama-cpp-python: the embedded default and ``gguf:PATH``."""

from __future__ import annotations

import os
import threading
import time
import weakref
from pathlib import Path

from codeloop.llm.base import CONTEXT_FULL, Completion, Message, SamplingParams


class LlamaCppModel:
    """A GGUF chat model; the model's own chat template (GGUF metadata) formats the messages.

    llama.cpp contexts are not thread-safe: calls are serialized, so several episodes can
    share one model while their programs run in the sandbox.
    """

    def __init__(self, path: str | Path, n_ctx: int = 4096, threads: int | None = None, name: str = "") -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise RuntimeError("llama-cpp-python is not installed: pip install 'codeloop[llm]'") from None
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: GGUF model file not found")
        self.name = name or path.stem
        self._lock = threading.Lock()
        self._llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads or os.cpu_count(), verbose=False)
        # free the model when this object goes, or at exit while the modules llama.cpp needs still exist
        # (left to the interpreter's shutdown, its destructor fails with a traceback on stderr)
        weakref.finalize(self, self._llama.close)

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        completions = []
        for index in range(params.n):
            seed = None if params.seed is None else params.seed + index
            with self._lock:
                start = time.perf_counter()
                try:
                    reply = self._llama.create_chat_completion(
                        messages=messages, temperature=params.temperature, top_p=params.top_p,
                        max_tokens=params.max_tokens, seed=seed, stop=list(params.stop) or None)
                except ValueError as error:  # llama-cpp: "Requested tokens (N) exceed context window of M"
                    if "context window" not in str(error):
                        raise
                    completions.append(Completion("", finish_reason=CONTEXT_FULL, extra={"error": str(error)}))
                    continue
                seconds = time.perf_counter() - start
            usage = reply.get("usage", {})
            choice = reply["choices"][0]
            completions.append(Completion(choice["message"]["content"] or "", usage.get("prompt_tokens", 0),
                                          usage.get("completion_tokens", 0), seconds,
                                          choice.get("finish_reason") or ""))
        return completions
