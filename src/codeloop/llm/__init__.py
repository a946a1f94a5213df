"""Chat model backends behind one interface, chosen by a spec string:

- ``default``: the embedded Qwen2.5-Coder-0.5B-Instruct GGUF (``codeloop model install``)
- ``default-1.5b``: the embedded Qwen2.5-Coder-1.5B-Instruct GGUF (``codeloop model install default-1.5b``)
- ``smollm2-135m``: the embedded SmolLM2-135M-Instruct GGUF (``codeloop model install smollm2-135m``)
- ``gguf:PATH``: any local GGUF file, through llama-cpp-python
- ``openai:URL#MODEL``: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama)
- ``hf:PATH``: a transformers model directory (the ``hf`` extra)
- ``codeloop:CHECKPOINT``: a model trained by ``codeloop train lm`` (text completion)
- ``dfm:CHECKPOINT``: a discrete flow matching model trained by ``codeloop train dfm`` (text completion)
"""

from __future__ import annotations

from codeloop.llm.base import ChatModel, Completion, Message, SamplingParams, ScriptedModel

EMBEDDED = ("default", "default-1.5b", "smollm2-135m")  # codeloop.llm.embedded.MODELS
FORMS = ("default, default-1.5b, smollm2-135m, gguf:PATH, openai:URL#MODEL, hf:PATH, codeloop:CHECKPOINT or "
         "dfm:CHECKPOINT")


def check_spec(spec: str) -> None:
    """Raise ValueError unless ``spec`` has one of the forms ``load_model`` takes (loads nothing)."""
    kind, _, rest = spec.partition(":")
    if spec in EMBEDDED or (kind in ("gguf", "hf", "codeloop", "dfm") and rest):
        return
    if kind == "openai" and rest:
        if "#" not in rest or not rest.partition("#")[2]:
            raise ValueError(f"model spec {spec!r}: expected openai:URL#MODEL, e.g. openai:http://localhost:8000/v1#qwen")
        return
    raise ValueError(f"unknown model spec {spec!r}: expected {FORMS}")


def load_model(spec: str, **options: object) -> ChatModel:
    """Build the backend a spec string names."""
    check_spec(spec)
    kind, _, rest = spec.partition(":")
    from codeloop.llm import embedded
    if spec in embedded.MODELS:
        from codeloop.llm.llamacpp import LlamaCppModel
        return LlamaCppModel(embedded.verified_model_path(spec), name=embedded.MODELS[spec].name, **options)
    if kind == "gguf" and rest:
        from codeloop.llm.llamacpp import LlamaCppModel
        return LlamaCppModel(rest, **options)
    if kind == "openai" and rest:
        from codeloop.llm.openai_compat import OpenAIModel
        url, _, model = rest.partition("#")
        return OpenAIModel(url, model, **options)
    if kind == "hf" and rest:
        from codeloop.llm.hf import TransformersModel
        return TransformersModel(rest, **options)
    if kind == "dfm":
        from codeloop.llm.dfm_backend import DFMModel
        return DFMModel(rest, **options)
    from codeloop.llm.codeloop_model import CodeloopModel
    return CodeloopModel(rest)


__all__ = ["EMBEDDED", "ChatModel", "Completion", "Message", "SamplingParams", "ScriptedModel", "check_spec",
           "load_model"]
