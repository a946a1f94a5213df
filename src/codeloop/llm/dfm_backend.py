"""Discrete flow matching models as a backend: ``dfm:CHECKPOINT`` (text completion).

The last user message is the prompt; the reply fills ``max_tokens`` positions after it in
``nfe`` steps of the ``corrector`` (default) or ``euler`` sampler (``codeloop.models.dfm``), cut
at the first end-of-text token. Every position is generated at once, so the reply's length is
fixed in advance; sampling is always stochastic (seeded by ``SamplingParams.seed``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from codeloop.llm.base import Completion, Message, SamplingParams


class DFMModel:
    def __init__(self, checkpoint: str | Path, nfe: int = 64, sampler: str = "corrector") -> None:
        from codeloop.models.dfm_train import load_dfm
        self.name = f"dfm:{checkpoint}"
        self.model, self.path, self.tokenizer = load_dfm(checkpoint)
        self.nfe, self.sampler = nfe, sampler
        self._lock = threading.Lock()

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        from codeloop.models.dfm_train import fill
        prompt_text = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        middle = min(params.max_tokens, self.model.args.max_seq_len - 1)
        prompt = self.tokenizer.encode(prompt_text)
        stop = self.tokenizer.special_tokens.get("<|endoftext|>")
        start = time.perf_counter()
        with self._lock:
            rows = fill(self.model, self.path, prompt, middle, [], self.nfe, self.sampler, params.n,
                        params.seed if params.seed is not None else 0)
        seconds = (time.perf_counter() - start) / params.n
        completions = []
        for ids in rows:
            finish = "length"
            if stop in ids:
                ids, finish = ids[:ids.index(stop)], "stop"
            completions.append(Completion(self.tokenizer.decode(ids), len(prompt), len(ids), seconds, finish,
                                          {"nfe": self.nfe, "sampler": self.sampler}))
        return completions
