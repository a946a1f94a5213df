"""Chat model backends: the embedded GGUF, OpenAI-compatible servers, transformers, codeloop models."""
