"""Phonetic units back to audio: a mean mel spectrum per unit, then Griffin-Lim.

Each unit's template is the mean mel power spectrum (80 bands, 10 ms hops) of the training frames
it labels, and its duration the mean length of its runs before deduplication. A unit string is
read back to its phonetic units (``string_to_units``), each held for its duration, and the mel
spectrogram inverted by Griffin-Lim (32 iterations, seeded phases).
The voice is an average over the training voices and the pitch the templates' own: enough to
hear which words were said, not who said them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codeloop.speech.synth import SAMPLE_RATE
from codeloop.speech.tokenizer import read_arrays
from codeloop.speech.units import HUBERT_RATE, string_to_units

MELS, HOP, FFT = 80, 220, 1024
MAX_RUN = 100  # frames (4 s): the longest mean run a vocoder file may claim
SUBFRAMES = round(SAMPLE_RATE / HUBERT_RATE / HOP)  # mel frames a unit frame lasts: 4


def mel(audio: np.ndarray) -> np.ndarray:
    import librosa
    return librosa.feature.melspectrogram(y=audio, sr=SAMPLE_RATE, n_fft=FFT, hop_length=HOP, n_mels=MELS)


@dataclass
class Vocoder:
    templates: np.ndarray  # (units, MELS) mean mel power
    durations: np.ndarray  # (units,) mean run length in unit frames

    @classmethod
    def fit(cls, audios: list[np.ndarray], unit_frames: list[list[int]], units: int) -> Vocoder:
        sums, counts = np.zeros((units, MELS)), np.zeros(units)
        runs: list[list[int]] = [[] for _ in range(units)]
        for audio, frames in zip(audios, unit_frames, strict=True):
            spectrum = mel(audio).T
            owner = np.minimum(np.round(np.arange(len(spectrum)) * HOP * HUBERT_RATE / SAMPLE_RATE).astype(int),
                               len(frames) - 1)
            np.add.at(sums, np.asarray(frames)[owner], spectrum)
            np.add.at(counts, np.asarray(frames)[owner], 1)
            start = 0
            for i in range(1, len(frames) + 1):
                if i == len(frames) or frames[i] != frames[start]:
                    runs[frames[start]].append(i - start)
                    start = i
        floor = sums.sum(0) / max(1, counts.sum())  # a unit never seen: the mean spectrum
        templates = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], floor)
        durations = np.array([np.mean(r) if r else 1.0 for r in runs])
        return cls(templates.astype(np.float32), durations.astype(np.float32))

    def __call__(self, unit_string: str, seed: int = 0) -> np.ndarray:
        """Audio (float32 at ``SAMPLE_RATE``) of a unit string's phonetic units."""
        import librosa
        units = string_to_units(unit_string).get("hubert", [])
        units = [unit for unit in units if unit is not None]
        if not units:
            raise ValueError("no phonetic units ([HuN]) in the unit string")
        unknown = sorted({unit for unit in units if unit >= len(self.templates)})
        if unknown:
            raise ValueError(f"[Hu{unknown[0]}]: not a unit of this vocoder (it has {len(self.templates)})")
        frames = [self.templates[u] for u in units for _ in range(max(1, round(self.durations[u] * SUBFRAMES)))]
        power = librosa.feature.inverse.mel_to_stft(np.stack(frames).T, sr=SAMPLE_RATE, n_fft=FFT)
        audio = librosa.griffinlim(power, n_iter=32, hop_length=HOP, n_fft=FFT, random_state=seed)
        return (0.9 * audio / max(1e-6, float(np.abs(audio).max()))).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez(path, templates=self.templates, durations=self.durations)

    @classmethod
    def load(cls, path: Path) -> Vocoder:
        templates, durations = read_arrays(path, "templates", "durations")
        if templates is None or durations is None or templates.ndim != 2 or templates.shape[1] != MELS \
                or durations.shape != (len(templates),) or not np.isfinite(templates).all() \
                or not ((durations >= 1) & (durations <= MAX_RUN)).all():
            raise ValueError(f"{path}: not a vocoder (expected templates (units, {MELS}) and durations in "
                             f"1..{MAX_RUN} frames, one per unit)")
        return cls(templates.astype(np.float32), durations.astype(np.float32))


def write_wav(path: Path, audio: np.ndarray) -> float:
    """``audio`` as a 16-bit WAV file at ``SAMPLE_RATE``; returns its length in seconds."""
    import soundfile
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, SAMPLE_RATE, subtype="PCM_16")
    return len(audio) / SAMPLE_RATE
