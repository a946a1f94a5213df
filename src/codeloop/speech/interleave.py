"""Training streams of SpiRit-LM (arXiv 2402.05755, section 3.2): text only, speech only, word-level
interleaving of the two, and parallel sentence pairs.

Interleaving needs speech aligned with its text at word boundaries: each word's phonetic units
are the frames inside the word's span (``synth`` gives exact spans; frames of the pauses between
words belong to no word). An interleaved sentence is cut into spans of 1 to ``longest_span`` words,
the first in a random modality and each next one in the other, with ``[Text]`` or ``[Speech]``
before each span; text spans are the words, speech spans the words' units in the release's
string format (runs of a unit written once; Expressive's pitch and style tokens of the frames
inside the words, merged by time).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from codeloop.speech.units import HUBERT_RATE, PITCH_RATE, SPEECH, STYLE_RATE, TEXT


@dataclass(frozen=True)
class AlignedSentence:
    """Words with their spans (seconds) and the utterance's unit streams, frame i of a stream at
    i / rate seconds: phonetic ``units`` at ``HUBERT_RATE``; for Expressive, ``pitch`` at
    ``PITCH_RATE`` and ``style`` at ``STYLE_RATE`` (empty for Base)."""

    words: tuple[str, ...]
    spans: tuple[tuple[float, float], ...]
    units: tuple[int, ...]
    pitch: tuple[int, ...] = ()
    style: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.words) != len(self.spans):
            raise ValueError(f"spans: {len(self.spans)} for {len(self.words)} words")

    def speech(self, first: int = 0, last: int | None = None) -> str:
        """The unit string of words ``first:last``: the frames inside their spans, streams merged
        by time as ``units_to_string`` does (a run written once, across words too). A segment opens
        with the style and pitch in force at its start (the frame before it, if none starts
        there), as the release's strings open with their ``[St]``."""
        spans = self.spans[first:last]
        if not spans:
            return ""
        opening = spans[0][0]
        timed: list[tuple[float, str]] = []
        for kind, stream, rate, deduplicate in (("St", self.style, STYLE_RATE, False),
                                                ("Pi", self.pitch, PITCH_RATE, True),
                                                ("Hu", self.units, HUBERT_RATE, True)):
            frames = [(i / rate, unit) for i, unit in enumerate(stream)
                      if any(start <= i / rate < end for start, end in spans)]
            in_force = int(opening * rate)  # the frame whose time is the last at or before the opening
            if kind != "Hu" and in_force < len(stream) and (not frames or frames[0][0] > opening):
                frames.insert(0, (opening, stream[in_force]))
            timed += [(time, f"[{kind}{unit}]") for k, (time, unit) in enumerate(frames)
                      if not deduplicate or k == 0 or unit != frames[k - 1][1]]
        return "".join(token for _, token in sorted(timed, key=lambda pair: pair[0]))  # stable: St, Pi, Hu

    def base(self) -> AlignedSentence:
        """Without pitch and style: SpiRit-LM Base's view."""
        return AlignedSentence(self.words, self.spans, self.units)


def text_only(sentence: AlignedSentence) -> str:
    return TEXT + " ".join(sentence.words)


def speech_only(sentence: AlignedSentence) -> str:
    return SPEECH + sentence.speech()


def interleaved(sentence: AlignedSentence, rng: random.Random, longest_span: int = 4) -> str:
    """Word-level interleaving: spans of 1..``longest_span`` words, modalities alternating from a
    random first one."""
    parts, at = [], 0
    speech = rng.random() < 0.5
    while at < len(sentence.words):
        end = min(len(sentence.words), at + rng.randint(1, longest_span))
        parts.append(SPEECH + sentence.speech(at, end) if speech else TEXT + " ".join(sentence.words[at:end]))
        speech, at = not speech, end
    return "".join(parts)


def parallel(sentence: AlignedSentence, speech_first: bool) -> str:
    """A sentence pair: its speech then its text (ASR-like), or its text then its speech."""
    pair = (speech_only(sentence), text_only(sentence))
    return "".join(pair if speech_first else pair[::-1])
