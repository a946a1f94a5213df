"""Training streams of SpiRit-LM (arXiv 2402.05755, section 3.2): text only, speech only, word-level
interleaving of the two, and parallel sentence pairs.

Interleaving needs speech aligned with its text at word boundaries: each word's phonetic units
are the frames inside the word's span (``synth`` gives exact spans; frames of the pauses between
words belong to no word). An interleaved sentence is cut into spans of 1 to ``longest_span`` words,
the first in a random modality and each next one in the other, with ``[Text]`` or ``[Speech]``
before each span; text spans are the words, speech spans the words' units in the release's
string format (``units_to_string``: runs of a unit written once within the span).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from codeloop.speech.units import HUBERT_RATE, SPEECH, TEXT, units_to_string


@dataclass(frozen=True)
class AlignedSentence:
    """Words with their spans (seconds) and the utterance's phonetic units (one per frame at
    ``HUBERT_RATE``, frame i at i / rate seconds)."""

    words: tuple[str, ...]
    spans: tuple[tuple[float, float], ...]
    units: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.words) != len(self.spans):
            raise ValueError(f"spans: {len(self.spans)} for {len(self.words)} words")

    def word_units(self) -> list[list[int]]:
        """Each word's frames' units."""
        return [[unit for i, unit in enumerate(self.units) if start <= i / HUBERT_RATE < end]
                for start, end in self.spans]


def text_only(sentence: AlignedSentence) -> str:
    return TEXT + " ".join(sentence.words)


def speech_only(sentence: AlignedSentence) -> str:
    return SPEECH + units_to_string([unit for units in sentence.word_units() for unit in units])


def interleaved(sentence: AlignedSentence, rng: random.Random, longest_span: int = 4) -> str:
    """Word-level interleaving: spans of 1..``longest_span`` words, modalities alternating from a
    random first one."""
    per_word, parts, at = sentence.word_units(), [], 0
    speech = rng.random() < 0.5
    while at < len(sentence.words):
        end = min(len(sentence.words), at + rng.randint(1, longest_span))
        if speech:
            parts.append(SPEECH + units_to_string([unit for units in per_word[at:end] for unit in units]))
        else:
            parts.append(TEXT + " ".join(sentence.words[at:end]))
        speech, at = not speech, end
    return "".join(parts)


def parallel(sentence: AlignedSentence, speech_first: bool) -> str:
    """A sentence pair: its speech then its text (ASR-like), or its text then its speech."""
    pair = (speech_only(sentence), text_only(sentence))
    return "".join(pair if speech_first else pair[::-1])
