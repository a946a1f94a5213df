"""Speech to units: phonetic units by k-means on acoustic features, pitch units from quantised
speaker-normalised F0 (SpiRit-LM, arXiv 2402.05755, section 3.1, in miniature).

SpiRit-LM's phonetic units are k-means clusters (501) of HuBERT features at 25 Hz; HuBERT itself
is k-means on MFCCs at first (Hsu et al., arXiv 2106.07447, section III). Here: 13 MFCCs with
their deltas and delta-deltas (40 mel bands, 46 ms windows centred every ``SAMPLE_RATE / 25``
samples: frame i at i / 25 s, as ``synth.frame_labels``), normalised per utterance (mean 0,
variance 1 per dimension), clustered by k-means.

Pitch units (Expressive): the paper quantises F0 with a VQ-VAE (64 codes, 12.5 Hz). Here: F0 at
12.5 Hz (Praat's autocorrelation method, through parselmouth), as log F0 normalised by the
utterance's own voiced frames (z-scores: a speaker's range without knowing the speaker), cut into
``PITCH_BINS`` equal bins over [-2.5, 2.5]; unvoiced frames are unit 0.

Quality: PNMI, phone-normalised mutual information between frame units and frame phones
(HuBERT, section IV-C): I(phone; unit) / H(phone), 0 when units say nothing of the phone, 1
when they name it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codeloop.speech.synth import SAMPLE_RATE
from codeloop.speech.units import HUBERT_RATE, PITCH_RATE, units_to_string

PITCH_BINS = 32
F0_FLOOR, F0_CEILING = 50.0, 500.0


def features(audio: np.ndarray) -> np.ndarray:
    """(frames, 39): MFCCs, deltas and delta-deltas at 25 Hz, normalised per utterance."""
    import librosa
    hop = round(SAMPLE_RATE / HUBERT_RATE)
    mfcc = librosa.feature.mfcc(y=audio, sr=SAMPLE_RATE, n_mfcc=13, n_mels=40, n_fft=1024, hop_length=hop)
    width = min(9, mfcc.shape[1] - (1 - mfcc.shape[1] % 2)) if mfcc.shape[1] >= 3 else 0
    stacked = [mfcc] + ([librosa.feature.delta(mfcc, width=width, order=o) for o in (1, 2)] if width >= 3
                        else [np.zeros_like(mfcc)] * 2)
    frames = np.concatenate(stacked).T
    return (frames - frames.mean(0)) / (frames.std(0) + 1e-5)


def pitch_units(audio: np.ndarray) -> list[int]:
    """One unit per 80 ms frame: 0 unvoiced, else 1..PITCH_BINS by normalised log F0."""
    import parselmouth
    f0 = parselmouth.Sound(audio.astype(np.float64), SAMPLE_RATE).to_pitch(
        time_step=1 / PITCH_RATE, pitch_floor=F0_FLOOR, pitch_ceiling=F0_CEILING).selected_array["frequency"]
    voiced = f0 > 0
    if not voiced.any():
        return [0] * len(f0)
    log_f0 = np.log(f0[voiced])
    z = (log_f0 - log_f0.mean()) / (log_f0.std() + 1e-5)
    bins = np.clip(((z + 2.5) / 5 * PITCH_BINS).astype(int), 0, PITCH_BINS - 1) + 1
    units = np.zeros(len(f0), dtype=int)
    units[voiced] = bins
    return units.tolist()


@dataclass
class SpeechTokenizer:
    """k-means centres over ``features``; ``encode`` gives an utterance's unit streams."""

    centres: np.ndarray  # (units, 39)

    @classmethod
    def fit(cls, audios: list[np.ndarray], units: int = 100, seed: int = 0) -> SpeechTokenizer:
        from sklearn.cluster import KMeans
        frames = np.concatenate([features(audio) for audio in audios])
        model = KMeans(n_clusters=units, n_init=3, random_state=seed).fit(frames)
        return cls(model.cluster_centers_.astype(np.float32))

    def phonetic(self, audio: np.ndarray) -> list[int]:
        frames = features(audio)
        distances = ((frames[:, None, :] - self.centres[None, :, :]) ** 2).sum(-1)
        return distances.argmin(1).tolist()

    def encode(self, audio: np.ndarray, expressive: bool = False) -> dict[str, list[int]]:
        streams = {"hubert": self.phonetic(audio)}
        if expressive:
            streams["pitch"] = pitch_units(audio)
        return streams

    def to_string(self, audio: np.ndarray, expressive: bool = False) -> str:
        streams = self.encode(audio, expressive)
        return units_to_string(streams["hubert"], streams.get("pitch"))

    def save(self, path: Path) -> None:
        np.savez(path, centres=self.centres)

    @classmethod
    def load(cls, path: Path) -> SpeechTokenizer:
        with np.load(path) as data:
            return cls(data["centres"])


def pnmi(phones: list[str], units: list[int]) -> float:
    """I(phone; unit) / H(phone) over paired frames (HuBERT, arXiv 2106.07447, section IV-C)."""
    if len(phones) != len(units):
        raise ValueError(f"pnmi: {len(phones)} phone frames against {len(units)} unit frames")
    total = len(phones)
    joint, by_phone, by_unit = Counter(zip(phones, units, strict=True)), Counter(phones), Counter(units)
    entropy = -sum(n / total * np.log(n / total) for n in by_phone.values())
    mutual = sum(n / total * np.log(n * total / (by_phone[p] * by_unit[u])) for (p, u), n in joint.items())
    return float(mutual / entropy) if entropy > 0 else 0.0
