"""Multi-turn generation with execution feedback, and the prompt strategies of arXiv 2410.08105.

    episode.py  one episode: prompt, reply, code, public tests, feedback, up to ``turns`` turns
    extract.py  which fenced block of a reply is the program
    prompts.py  the first prompt, the 8 reasoning and 6 instruction prompts, strategies
"""

from codeloop.loop.episode import Episode, LoopConfig, Turn, assemble_program, run_episode
from codeloop.loop.extract import extract_code, sanitize_function_code
from codeloop.loop.prompts import INSTRUCTION_PROMPTS, REASONING_PROMPTS, Strategy, first_prompt, parse_strategy

__all__ = ["INSTRUCTION_PROMPTS", "REASONING_PROMPTS", "Episode", "LoopConfig", "Strategy", "Turn",
           "assemble_program", "extract_code", "first_prompt", "parse_strategy", "run_episode",
           "sanitize_function_code"]
