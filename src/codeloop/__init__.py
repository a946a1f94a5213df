"""codeloop: a toolkit for code LLMs grounded in execution."""

__version__ = "0.1.0"
