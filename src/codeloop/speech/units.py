"""SpiRit-LM's speech-unit strings (Nguyen et al., arXiv 2402.05755, section 3.1), in the format
of the official release (facebookresearch/spiritlm, ``speech_tokenizer/spiritlm_tokenizer.py``).

A speech stream is one string of unit tokens in time order:

- ``[HuN]``: phonetic (HuBERT) units, 25 Hz (``HUBERT_RATE`` = 24.99 frames a second), a run of
  equal units written once (deduplicated);
- ``[PiN]``: pitch units, 12.5 Hz, deduplicated (SpiRit-LM Expressive);
- ``[StN]``: style units, 1 Hz, not deduplicated (Expressive).

A token of frame ``i`` of a stream at rate ``r`` sits at time ``i / r``; the streams are merged by
time, and tokens at the same time keep the order style, pitch, phonetic (a stable sort of style,
then pitch, then phonetic tokens). Text and speech alternate in one sequence with ``[Text]`` and
``[Speech]`` at every change of modality.

``string_to_units`` reads a string back to frame-aligned streams: one entry per phonetic token,
each with the pitch and style last seen before it (the first seen where none was yet). This is the
official reading, including its two odd corners: a pitch without any style gets one of the most
common styles (``MOST_COMMON_STYLES``, drawn at random as the release does), and with
``duplicate_hubert_for_multiple_pitch`` two pitch tokens in a row repeat the last phonetic unit.
The release's docstring examples do not follow its own code (they put ``[Hu78]`` before ``[Pi13]``
at time 0); the code is what is implemented here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

HUBERT_RATE, PITCH_RATE, STYLE_RATE = 24.99, 12.5, 1.0
MOST_COMMON_STYLES = (71, 68, 98)
TEXT, SPEECH = "[Text]", "[Speech]"
_TOKEN = re.compile(r"\[(Hu|Pi|St)(\d+)\]")


def dedup(units: Sequence[int]) -> list[int]:
    """Runs of equal units written once: ``1 1 2 2 2 1`` -> ``1 2 1``."""
    return [unit for i, unit in enumerate(units) if i == 0 or unit != units[i - 1]]


def _timed(kind: str, units: Sequence[int], rate: float, deduplicate: bool) -> list[tuple[float, str]]:
    return [(i / rate, f"[{kind}{unit}]") for i, unit in enumerate(units)
            if not deduplicate or i == 0 or unit != units[i - 1]]


def units_to_string(hubert: Sequence[int], pitch: Sequence[int] | None = None,
                    style: Sequence[int] | None = None) -> str:
    """The unit string of frame-level streams (each at its own rate)."""
    timed = []
    if style is not None:
        timed += _timed("St", style, STYLE_RATE, deduplicate=False)
    if pitch is not None:
        timed += _timed("Pi", pitch, PITCH_RATE, deduplicate=True)
    timed += _timed("Hu", hubert, HUBERT_RATE, deduplicate=True)
    return "".join(token for _, token in sorted(timed, key=lambda pair: pair[0]))  # stable: ties keep St, Pi, Hu


def string_to_units(text: str, duplicate_hubert_for_multiple_pitch: bool = False,
                    rng: random.Random | None = None) -> dict[str, list[int]]:
    """Streams aligned to the phonetic tokens: ``{"hubert": [...]}``, with ``"pitch"`` and
    ``"style"`` when the string has them. Anything but unit tokens (``[Text]``, words) is skipped."""
    hubert: list[int | None] = []
    pitch: list[int | None] = []
    style: list[int | None] = []
    last_hubert = last_pitch = last_style = first_pitch = first_style = None
    pitch_just_seen = False
    for kind, number in _TOKEN.findall(text):
        unit = int(number)
        if kind == "Hu":
            hubert.append(unit)
            last_hubert = unit
            pitch.append(last_pitch)
            style.append(last_style)
            pitch_just_seen = False
        elif kind == "St":
            first_style = unit if first_style is None else first_style
            last_style = unit
        else:
            if duplicate_hubert_for_multiple_pitch and pitch_just_seen:
                hubert.append(last_hubert)  # None before any phonetic unit: the first one, below
                pitch.append(unit)
                style.append(last_style)
            first_pitch = unit if first_pitch is None else first_pitch
            last_pitch = unit
            pitch_just_seen = True
    if first_pitch is not None and first_style is None:
        first_style = (rng or random).choice(MOST_COMMON_STYLES)
    first_hubert = next((unit for unit in hubert if unit is not None), None)
    streams: dict[str, list[int]] = {"hubert": [first_hubert if unit is None else unit for unit in hubert]}
    if first_pitch is not None:
        streams["pitch"] = [first_pitch if value is None else value for value in pitch]
    if first_style is not None:
        streams["style"] = [first_style if value is None else value for value in style]
    return streams
