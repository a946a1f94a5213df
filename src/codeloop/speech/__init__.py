"""Speech for SpiRit-LM (arXiv 2402.05755), small: unit strings in the release's format
(``units``), synthetic speech with word and phone alignments (``synth``), a text corpus
(``corpus``), unit tokenizers and PNMI (``tokenizer``), training streams (``interleave``)."""

from codeloop.speech.units import SPEECH, TEXT, dedup, string_to_units, units_to_string

__all__ = ["SPEECH", "TEXT", "dedup", "string_to_units", "units_to_string"]
