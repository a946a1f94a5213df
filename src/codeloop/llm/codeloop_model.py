"""codeloop's own trained models as a backend: ``codeloop:CHECKPOINT`` (text completion).

The last user message is the prompt and the reply is its continuation. Greedy decoding runs
self-speculatively when the model has extra heads (token-identical to plain greedy decoding);
with a temperature, tokens are sampled from head 0 (top-p, seeded).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from codeloop.llm.base import Completion, Message, SamplingParams


class CodeloopModel:
    def __init__(self, checkpoint: str | Path) -> None:
        from codeloop.models import for_decoding
        from codeloop.models.training import load_model
        self.name = f"codeloop:{checkpoint}"
        model, self.tokenizer = load_model(checkpoint)
        self.model = for_decoding(model)
        self._lock = threading.Lock()

    def _sample(self, prompt: list[int], params: SamplingParams, seed: int | None) -> list[int]:
        import torch
        generator = torch.Generator().manual_seed(seed if seed is not None else torch.seed())
        caches = self.model.new_caches(1, len(prompt) + params.max_tokens + 1)
        with torch.no_grad():
            logits = self.model.forward(torch.tensor([prompt]), 0, caches, heads=1)[0, 0, -1]
            out: list[int] = []
            while len(out) < params.max_tokens:
                probs = torch.softmax(logits / params.temperature, -1)
                ordered, order = probs.sort(descending=True)
                keep = ordered.cumsum(0) - ordered < params.top_p  # the top-p nucleus
                choice = order[keep][torch.multinomial(ordered[keep] / ordered[keep].sum(), 1, generator=generator)]
                out.append(int(choice))
                logits = self.model.forward(choice.view(1, 1), len(prompt) + len(out) - 1, caches, heads=1)[0, 0, -1]
        return out

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        from codeloop.models import greedy_decode, speculative_decode
        prompt_text = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        room = self.model.args.max_seq_len - params.max_tokens - self.model.n_future - 1
        prompt = self.tokenizer.encode(prompt_text)[-max(room, 1):]
        stop = self.tokenizer.special_tokens.get("<|endoftext|>")
        completions = []
        for index in range(params.n):
            start = time.perf_counter()
            with self._lock:
                if params.temperature > 0:
                    seed = None if params.seed is None else params.seed + index
                    ids = self._sample(prompt, params, seed)
                    extra = {}
                else:
                    decode = speculative_decode if self.model.n_future > 1 else greedy_decode
                    ids, stats = decode(self.model, prompt, params.max_tokens, stop)
                    extra = {"tokens_per_forward": stats.tokens_per_forward}
            if stop in ids:
                ids = ids[: ids.index(stop)]
            text = self.tokenizer.decode(ids)
            for marker in params.stop:
                text = text.split(marker)[0]
            completions.append(Completion(text, len(prompt), len(ids), time.perf_counter() - start, extra=extra))
        return completions
