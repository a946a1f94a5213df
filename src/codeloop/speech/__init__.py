"""SpiRit-LM (arXiv 2402.05755), small: unit strings in the release's format (``units``),
synthetic speech with word and phone alignments and styles (``synth``), a text corpus
(``corpus``), unit tokenizers and PNMI (``tokenizer``, ``hubert``), training streams
(``interleave``), spoken-sentence stores (``dataset``), the speech-and-text LM (``lm``), the run's
data and arms (``experiment``), probes (``probes``, ``evaluation``), audio (``vocoder``) and the
results page (``report``)."""

from codeloop.speech.units import SPEECH, TEXT, dedup, string_to_units, units_to_string

__all__ = ["SPEECH", "TEXT", "dedup", "string_to_units", "units_to_string"]
