"""Chat model backends behind one interface, chosen by a spec string:

- ``default``: the embedded Qwen2.5-Coder-0.5B-Instruct GGUF (``codeloop model install``)
- ``gguf:PATH``: any local GGUF file, through llama-cpp-python
- ``openai:URL#MODEL``: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama)
- ``hf:PATH``: a transformers model directory (the ``hf`` extra)
- ``codeloop:CHECKPOINT``: a model trained by ``codeloop train lm`` (text completion)
"""

from __future__ import annotations

from codeloop.llm.base import ChatModel, Completion, Message, SamplingParams, ScriptedModel


def load_model(spec: str, **options: object) -> ChatModel:
    """Build the backend a spec string names."""
    kind, _, rest = spec.partition(":")
    if spec == "default":
        from codeloop.llm import embedded
        from codeloop.llm.llamacpp import LlamaCppModel
        return LlamaCppModel(embedded.verified_model_path(), name=embedded.MODEL_NAME, **options)
    if kind == "gguf" and rest:
        from codeloop.llm.llamacpp import LlamaCppModel
        return LlamaCppModel(rest, **options)
    if kind == "openai" and rest:
        from codeloop.llm.openai_compat import OpenAIModel
        url, _, model = rest.partition("#")
        if not model:
            raise ValueError(f"model spec {spec!r}: expected openai:URL#MODEL, e.g. openai:http://localhost:8000/v1#qwen")
        return OpenAIModel(url, model, **options)
    if kind == "hf" and rest:
        from codeloop.llm.hf import TransformersModel
        return TransformersModel(rest, **options)
    if kind == "codeloop" and rest:
        from codeloop.llm.codeloop_model import CodeloopModel
        return CodeloopModel(rest)
    raise ValueError(f"unknown model spec {spec!r}: expected default, gguf:PATH, openai:URL#MODEL, hf:PATH "
                     "or codeloop:CHECKPOINT")


__all__ = ["ChatModel", "Completion", "Message", "SamplingParams", "ScriptedModel", "load_model"]
