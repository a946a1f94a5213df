"""Hugging Face transformers models: ``hf:PATH`` (the ``hf`` extra).

With ``max_batch > 1``, concurrent ``chat`` calls (``codeloop eval --jobs N``, the RL trainer's
episodes) are generated together (``codeloop.llm.batching``): prompts left-padded into one
batch, decoded with a KV cache by ``codeloop.llm.decode``, each row leaving the batch when its
reply ends. Greedy replies are those of one-at-a-time decoding up to floating-point
rounding in the padded batch; sampled replies are seeded per batch, not per sample, so they are
not reproducible sample by sample. A batch is cut, shortest prompts first, into decode calls of
at most ``max_batch_tokens`` padded prompt tokens: the prefill's activations grow with batch x
width, and 256 MBPP prompts padded to the width of a long turn-3 prompt asked a 0.5B model in
float32 for 13 GB more than an 80 GB GPU had free.

``stop_after_code=True`` ends each reply once it has closed its first fenced code block (the RL
trainer's rollouts: a small policy sampled at temperature 1 rambles on to ``max_tokens`` after its
code, and those tokens cost decoding steps and the update's forward and backward passes while the
reward never reads them; ``benchmarks/rlef_trainer_speed.py`` measures it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from codeloop.llm.base import Completion, Message, SamplingParams
from codeloop.llm.batching import Batcher


class TransformersModel:
    """A local transformers causal LM with a chat template; generation on the CPU or a GPU."""

    def __init__(self, path: str, device: str | None = None, max_batch: int = 1,
                 max_batch_tokens: int = 1 << 18, stop_after_code: bool = False) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise RuntimeError("transformers is not installed: pip install 'codeloop[hf]'") from None
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model = AutoModelForCausalLM.from_pretrained(path).to(device).eval()
        self._setup(path, model, AutoTokenizer.from_pretrained(path), max_batch, max_batch_tokens, stop_after_code)

    @classmethod
    def from_loaded(cls, model: object, tokenizer: object, name: str = "policy", max_batch: int = 1,
                    max_batch_tokens: int = 1 << 18, stop_after_code: bool = False) -> TransformersModel:
        """A backend over a model already in memory (a trainer's policy, while it trains)."""
        backend = cls.__new__(cls)
        backend._setup(name, model, tokenizer, max_batch, max_batch_tokens, stop_after_code)
        return backend

    def _setup(self, name: str, model: object, tokenizer: object, max_batch: int, max_batch_tokens: int,
               stop_after_code: bool) -> None:
        import torch
        self.name, self._torch, self._model, self._tokenizer = name, torch, model, tokenizer
        self.stop_after_code = stop_after_code
        self._device = next(model.parameters()).device
        self._lock = threading.Lock()
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        stops = model.generation_config.eos_token_id
        stops = stops if isinstance(stops, list) else [stops]
        self._eos_ids = {token for token in (*stops, tokenizer.eos_token_id) if token is not None}
        self.max_batch_tokens = max_batch_tokens
        self.batcher = Batcher(self._generate_batch, max_batch) if max_batch > 1 else None

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        encoded = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True)
        prompt = list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)
        if self.batcher is not None:
            return self.batcher.submit([prompt] * params.n, params)
        seeds = [None if params.seed is None else params.seed + index for index in range(params.n)]
        return [self._generate([prompt], replace(params, seed=seed))[0]  # one at a time, each seeded
                for seed in seeds]

    def _generate_batch(self, prompts: list[list[int]], params: SamplingParams) -> list[Completion]:
        """The prompts in order of length, in chunks of at most ``max_batch_tokens`` padded tokens."""
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        chunks, chunk = [], []
        for index in order:  # in ascending length, the prompt added is its chunk's widest
            if chunk and (len(chunk) + 1) * len(prompts[index]) > self.max_batch_tokens:
                chunks.append(chunk)
                chunk = []
            chunk.append(index)
        chunks.append(chunk)
        completions: list[Completion] = [None] * len(prompts)  # type: ignore[list-item]
        for chunk in chunks:
            for index, completion in zip(chunk, self._generate([prompts[i] for i in chunk], params), strict=True):
                completions[index] = completion
        return completions

    def _generate(self, prompts: list[list[int]], params: SamplingParams) -> list[Completion]:
        """One batch through ``codeloop.llm.decode``: each reply ends at its first end token (or,
        with ``stop_after_code``, when it closes its first code block), its row leaving the batch."""
        from codeloop.llm.decode import decode

        def finished(_row: int, reply: list[int]) -> bool:
            if reply[-1] in self._eos_ids:
                return True
            return self.stop_after_code and "`" in self._tokenizer.decode(reply[-1:]) and _closes_block(
                self._tokenizer.decode(reply, skip_special_tokens=True))

        with self._lock:
            start = time.perf_counter()
            replies = decode(self._model, prompts, self._pad_id, params.max_tokens, params.temperature, params.top_p,
                             params.seed, finished)
            seconds = time.perf_counter() - start
        completions = []
        for prompt, reply in zip(prompts, replies, strict=True):
            text = self._tokenizer.decode(reply, skip_special_tokens=True)
            for stop in params.stop:
                text = text.split(stop)[0]
            completions.append(Completion(text, len(prompt), len(reply), seconds))
        return completions


def _closes_block(text: str) -> bool:
    opening = text.find("```")
    return opening >= 0 and "\n```" in text[opening + 3:]
