"""Compiler optimisation with LLMs (LLM Compiler, arXiv 2407.02524): pass-list tuning for code
size against ``-Oz`` and the disassembly round trip, on LLVM, every candidate validated by
execution in the sandbox.

``llvm`` (the tools and metrics), ``passes`` (pass lists), ``corpus`` (the programs),
``environment`` (measure and check), ``search`` (the baselines), ``llm_tuning`` (pass lists
from a model), ``disassembly`` (assembly to IR), ``comparison`` (the comparison table).
"""
