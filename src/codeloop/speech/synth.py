"""Synthetic speech with word and phone alignments, from espeak-ng's command line.

Real speech corpora and a pretrained HuBERT cannot be had here, so codeloop's SpiRit-LM speaks
through espeak-ng (Debian's; GPL, so it is run as a program, never linked). An utterance is its
words synthesised one at a time and joined with a short pause: the word boundaries are then
exact, which word-level interleaving needs (SpiRit-LM aligns speech and text at word
boundaries, arXiv 2402.05755 section 3.2). A word's phones come from ``espeak-ng -x --sep=_``
and their boundaries from synthesising the word's phoneme prefixes (``[[k]]``, ``[[k'a]]``,
``[[k'at]]``): a prefix's duration is where its last phone ends (only when asked: PNMI needs phones, training
data needs words). Each (voice, word) is made once and cached.

Variety: ``VOICES`` pairs English accents with espeak's voice variants, rates and pitches; the
last ``HELD_OUT`` of them are kept out of training, for probes on unheard voices.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from dataclasses import dataclass, replace

import numpy as np

SAMPLE_RATE = 22050  # espeak-ng's
PAUSE_S = 0.06       # between words
SILENCE = 1e-3       # below it, a sample is silence (trimmed at a word's ends)
MIN_PHONE_S = 0.02   # the shortest phone an alignment gives


@dataclass(frozen=True)
class Voice:
    accent: str     # an espeak-ng English voice: en-us, en-gb, en-gb-scotland, ...
    variant: str    # an espeak-ng variant: m1..m7, f1..f5, ...
    rate: int       # words a minute
    pitch: int      # 0-99
    amplitude: int = 100  # 0-200

    @property
    def name(self) -> str:
        return f"{self.accent}+{self.variant}"


ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd")
VARIANTS = ("m1", "m2", "m3", "m4", "m7", "f1", "f2", "f3", "f4", "f5")
VOICES = tuple(Voice(ACCENTS[i % len(ACCENTS)], VARIANTS[(3 * i) % len(VARIANTS)], 130 + (37 * i) % 70,
                     25 + (29 * i) % 50) for i in range(24))
HELD_OUT = 4  # the last voices: never in training
TRAIN_VOICES, HELD_OUT_VOICES = VOICES[:-HELD_OUT], VOICES[-HELD_OUT:]

# Speaking styles (SpiRit-LM Expressive's style tokens, in miniature): a voice's rate, pitch and
# loudness moved together, as (rate factor, pitch change, amplitude).
STYLES = {"calm": (0.8, -15, 60), "neutral": (1.0, 0, 100), "excited": (1.3, 20, 170)}


def styled(voice: Voice, style: str) -> Voice:
    """``voice`` speaking in one of ``STYLES``."""
    if style not in STYLES:
        raise ValueError(f"style: expected one of {sorted(STYLES)}, got {style!r}")
    rate, pitch, amplitude = STYLES[style]
    return replace(voice, rate=round(voice.rate * rate), pitch=min(99, max(0, voice.pitch + pitch)),
                   amplitude=amplitude)


@dataclass
class Utterance:
    """Audio (float32 at ``SAMPLE_RATE``) with its words' and phones' spans in seconds."""

    audio: np.ndarray
    voice: Voice
    words: list[tuple[str, float, float]]
    phones: list[tuple[str, float, float]]

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise RuntimeError("espeak-ng is not installed: apt-get install espeak-ng, or run scripts/setup.sh")
    return path


def _run(voice: Voice, text: str, *flags: str) -> bytes:
    done = subprocess.run([espeak(), "-v", voice.name, "-s", str(voice.rate), "-p", str(voice.pitch),
                           "-a", str(voice.amplitude), *flags, text],
                          capture_output=True, check=True, timeout=60)
    return done.stdout


_LEXICON: dict[tuple[str, str], tuple[str, ...]] = {}  # (accent, word): phones


def phonemes(words: tuple[str, ...], voice: Voice) -> list[tuple[str, ...]]:
    """Each word's phoneme mnemonics as said alone (stress marks kept on their vowel), from one
    espeak call for the words not yet known in this accent (phones depend on the accent only):
    commas keep espeak from joining words (it says "on the" as one)."""
    new = tuple(dict.fromkeys(word for word in words if (voice.accent, word) not in _LEXICON))
    if new:
        out = _run(voice, ", ".join(new), "-q", "-x", "--sep=_").decode()
        found = [[p for p in token.split("_") if p] for token in out.split()]
        if len(found) != len(new):  # a word espeak reads as several ("ii": a numeral): one call a word
            found = [[p for token in _run(voice, word, "-q", "-x", "--sep=_").decode().split()
                      for p in token.split("_") if p] for word in new]
        _LEXICON.update({(voice.accent, word): tuple(phones) for word, phones in zip(new, found, strict=True)})
    return [_LEXICON[voice.accent, word] for word in words]


def _audio(voice: Voice, text: str) -> np.ndarray:
    import soundfile
    data, rate = soundfile.read(io.BytesIO(_run(voice, text, "--stdout")), dtype="float32")
    if rate != SAMPLE_RATE:
        raise ValueError(f"espeak-ng wrote {rate} Hz, expected {SAMPLE_RATE}")
    return data


def _trimmed(audio: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > SILENCE)
    return audio[loud[0]:loud[-1] + 1] if len(loud) else audio[:0]


@functools.lru_cache(maxsize=65536)
def spoken_word(voice: Voice, phones: tuple[str, ...]) -> np.ndarray:
    """A word's audio, silence trimmed."""
    return _trimmed(_audio(voice, f"[[{''.join(phones)}]]"))


@functools.lru_cache(maxsize=65536)
def phone_ends(voice: Voice, phones: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """Each phone of a word and where it ends (seconds into the word), from the durations of the
    word's phoneme prefixes; every phone gets at least ``MIN_PHONE_S`` (a prefix that ends in a
    stop can run as long as the whole word), the durations scaled back to the word's."""
    total = len(spoken_word(voice, phones)) / SAMPLE_RATE
    ends = [len(spoken_word(voice, phones[:k])) / SAMPLE_RATE for k in range(1, len(phones))] + [total]
    durations = np.diff(np.maximum.accumulate(np.minimum(ends, total)), prepend=0.0)
    durations = np.maximum(durations, min(MIN_PHONE_S, total / len(phones)))
    ends = np.cumsum(durations * total / durations.sum())
    return tuple((phone.strip("',"), float(end)) for phone, end in zip(phones, ends, strict=True))


def synthesize(words: list[str], voice: Voice, align_phones: bool = False) -> Utterance:
    """``words`` (lowercase letters only) spoken by ``voice``, word by word; with
    ``align_phones``, the phones' spans too (a few more espeak-ng calls per new word)."""
    bad = [word for word in words if not re.fullmatch(r"[a-z]+", word)]
    if bad:
        raise ValueError(f"words: expected lowercase letters only, got {bad[:3]}")
    pause = np.zeros(int(PAUSE_S * SAMPLE_RATE), dtype=np.float32)
    pieces, spans, phone_spans, at = [pause], [], [], PAUSE_S
    for word, phones in zip(words, phonemes(tuple(words), voice), strict=True):
        audio = spoken_word(voice, phones)
        end = at + len(audio) / SAMPLE_RATE
        if align_phones:
            starts = [at] + [at + e for _, e in phone_ends(voice, phones)[:-1]]
            phone_spans += [(phone, start, at + e) for (phone, e), start in
                            zip(phone_ends(voice, phones), starts, strict=True)]
        spans.append((word, at, end))
        pieces += [audio, pause]
        at = end + PAUSE_S
    return Utterance(np.concatenate(pieces), voice, spans, phone_spans)


def frame_labels(utterance: Utterance, rate: float) -> list[str]:
    """The phone at each frame (frame i at i hops of ``SAMPLE_RATE / rate`` samples, as the
    features' centred frames; "sil" between words and phones)."""
    hop = round(SAMPLE_RATE / rate)
    labels, k = [], 0
    for i in range(1 + len(utterance.audio) // hop):
        time = i * hop / SAMPLE_RATE
        while k < len(utterance.phones) and utterance.phones[k][2] <= time:
            k += 1
        inside = k < len(utterance.phones) and utterance.phones[k][1] <= time
        labels.append(utterance.phones[k][0] if inside else "sil")
    return labels
