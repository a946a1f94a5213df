"""Hugging Face transformers models: ``hf:PATH`` (the ``hf`` extra)."""

from __future__ import annotations

import threading
import time

from codeloop.llm.base import Completion, Message, SamplingParams


class TransformersModel:
    """A local transformers causal LM with a chat template; generation on the CPU or a GPU."""

    def __init__(self, path: str, device: str | None = None) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise RuntimeError("transformers is not installed: pip install 'codeloop[hf]'") from None
        self.name = path
        self._torch = torch
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._tokenizer = AutoTokenizer.from_pretrained(path)
        self._model = AutoModelForCausalLM.from_pretrained(path).to(self._device).eval()
        self._lock = threading.Lock()

    @classmethod
    def from_loaded(cls, model: object, tokenizer: object, name: str = "policy") -> TransformersModel:
        """A backend over a model already in memory (a trainer's policy, while it trains)."""
        import torch
        backend = cls.__new__(cls)
        backend.name, backend._torch, backend._model, backend._tokenizer = name, torch, model, tokenizer
        backend._device = next(model.parameters()).device
        backend._lock = threading.Lock()
        return backend

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        encoded = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
        ids = (encoded["input_ids"] if hasattr(encoded, "keys") else encoded).to(self._device)
        sampling = {"do_sample": params.temperature > 0, "max_new_tokens": params.max_tokens,
                    "pad_token_id": self._tokenizer.pad_token_id or self._tokenizer.eos_token_id}
        if params.temperature > 0:
            sampling.update(temperature=params.temperature, top_p=params.top_p)
        completions = []
        for index in range(params.n):
            with self._lock, self._torch.no_grad():
                if params.seed is not None:
                    self._torch.manual_seed(params.seed + index)
                start = time.perf_counter()
                output = self._model.generate(ids, **sampling)[0, ids.shape[1]:]
                seconds = time.perf_counter() - start
            text = self._tokenizer.decode(output, skip_special_tokens=True)
            for stop in params.stop:
                text = text.split(stop)[0]
            completions.append(Completion(text, int(ids.shape[1]), int(output.shape[0]), seconds))
        return completions
