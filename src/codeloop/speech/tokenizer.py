"""Speech to units: phonetic units by k-means on acoustic features, pitch units from quantised
speaker-normalised F0 (SpiRit-LM, arXiv 2402.05755, section 3.1, in miniature).

SpiRit-LM's phonetic units are k-means clusters (501) of HuBERT features at 25 Hz; HuBERT itself
is k-means on MFCCs at first (Hsu et al., arXiv 2106.07447, section III). Here: 13 MFCCs with
their deltas and delta-deltas (40 mel bands, 46 ms windows centred every ``SAMPLE_RATE / 25``
samples: frame i at i / 25 s, as ``synth.frame_labels``), normalised per utterance (mean 0,
variance 1 per dimension), clustered by k-means.

Pitch units (Expressive): the paper quantises F0 with a VQ-VAE (64 codes, 12.5 Hz). Here: F0 at
12.5 Hz (Praat's autocorrelation method, through parselmouth), as log F0 normalised by the
speaker's reference (``Speaker``: mean and spread of log F0 on an enrolment utterance; without
one, the utterance's own voiced frames), cut into ``PITCH_BINS`` equal bins over [-2.5, 2.5];
unvoiced frames are unit 0. Normalising by the speaker, not the utterance, keeps a style's higher
or lower pitch visible.

Style units (Expressive): the paper's are a speech-style classifier's outputs at 1 Hz (section
3.1). Here: k-means (``styles`` clusters) over each second's prosody (``style_features``:
pitch level and spread, voicing, loudness, speaking rate, all against the speaker's reference).

Quality: PNMI, phone-normalised mutual information between frame units and frame phones
(HuBERT, section IV-C): I(phone; unit) / H(phone), 0 when units say nothing of the phone, 1
when they name it.
"""

from __future__ import annotations

import itertools
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


@dataclass(frozen=True)
class Speaker:
    """A speaker's reference for normalising prosody: mean and spread of log F0 over voiced
    frames, mean log energy, from an enrolment utterance (``speaker``)."""

    log_f0: float
    log_f0_std: float
    log_energy: float


def f0_track(audio: np.ndarray) -> np.ndarray:
    """F0 in Hz at frame i = i / ``PITCH_RATE`` s, i = 0 .. duration * rate (0 where unvoiced),
    Praat's autocorrelation method. Praat centres its own frames in the sound (its first lies
    37-61 ms in), so each grid time takes the Praat frame within half a step of it, if any."""
    import parselmouth
    sound = parselmouth.Sound(audio.astype(np.float64), SAMPLE_RATE)
    pitch = sound.to_pitch(time_step=1 / PITCH_RATE, pitch_floor=F0_FLOOR, pitch_ceiling=F0_CEILING)
    f0, times = pitch.selected_array["frequency"], np.asarray(pitch.xs())
    grid = np.arange(int(len(audio) / SAMPLE_RATE * PITCH_RATE) + 1) / PITCH_RATE
    if not len(times):
        return np.zeros(len(grid))
    nearest = np.clip(np.searchsorted(times, grid), 1, len(times) - 1)
    nearest = np.where(np.abs(times[nearest - 1] - grid) <= np.abs(times[nearest] - grid), nearest - 1, nearest)
    return np.where(np.abs(times[nearest] - grid) <= 0.5 / PITCH_RATE, f0[nearest], 0.0)


def log_energy(audio: np.ndarray, frames: int) -> np.ndarray:
    """Log mean power of each of ``frames`` windows at ``PITCH_RATE``."""
    hop = round(SAMPLE_RATE / PITCH_RATE)
    padded = np.pad(audio, (0, max(0, frames * hop - len(audio))))[:frames * hop]
    return np.log(np.square(padded.reshape(frames, hop)).mean(1) + 1e-8)


def measure_speaker(audio: np.ndarray) -> Speaker:
    f0 = f0_track(audio)
    log_f0 = np.log(f0[f0 > 0]) if (f0 > 0).any() else np.log([100.0])
    loud = log_energy(audio, len(f0))[f0 > 0] if (f0 > 0).any() else np.zeros(1)
    return Speaker(float(log_f0.mean()), float(log_f0.std() + 1e-5), float(loud.mean()))


def pitch_z(audio: np.ndarray, speaker: Speaker | None = None) -> np.ndarray:
    """Normalised log F0 at ``PITCH_RATE`` (NaN where unvoiced): by ``speaker``'s reference, or by
    the utterance's own voiced frames."""
    f0 = f0_track(audio)
    voiced = f0 > 0
    z = np.full(len(f0), np.nan)
    if voiced.any():
        log_f0 = np.log(f0[voiced])
        mean, std = (speaker.log_f0, speaker.log_f0_std) if speaker else (log_f0.mean(), log_f0.std() + 1e-5)
        z[voiced] = (log_f0 - mean) / std
    return z


def pitch_units(audio: np.ndarray, speaker: Speaker | None = None) -> list[int]:
    """One unit per 80 ms frame: 0 unvoiced, else 1..PITCH_BINS by normalised log F0."""
    return quantise(pitch_z(audio, speaker))


def quantise(z: np.ndarray) -> list[int]:
    bins = np.clip(((np.nan_to_num(z) + 2.5) / 5 * PITCH_BINS).astype(int), 0, PITCH_BINS - 1) + 1
    return np.where(np.isnan(z), 0, bins).tolist()


def style_features(audio: np.ndarray, phonetic: list[int], speaker: Speaker, z: np.ndarray | None = None
                   ) -> np.ndarray:
    """(seconds, 5) prosody of each 1 s window: mean and spread of the speaker-normalised log F0
    (``z``: ``pitch_z``'s, made here if not given), the voiced share, the log energy above the
    speaker's, and phonetic-unit changes a second (a speaking-rate proxy)."""
    z = pitch_z(audio, speaker) if z is None else z
    energy = log_energy(audio, len(z)) - speaker.log_energy
    seconds = max(1, int(np.ceil(len(audio) / SAMPLE_RATE)))
    rows = []
    for s in range(seconds):
        window = slice(round(s * PITCH_RATE), round((s + 1) * PITCH_RATE))
        voiced = z[window][~np.isnan(z[window])]
        units = phonetic[round(s * HUBERT_RATE):round((s + 1) * HUBERT_RATE)]
        changes = sum(a != b for a, b in itertools.pairwise(units)) * HUBERT_RATE / max(1, len(units))
        rows.append([voiced.mean() if len(voiced) else 0.0, voiced.std() if len(voiced) > 1 else 0.0,
                     len(voiced) / max(1, len(z[window])), energy[window].mean() if len(energy[window]) else 0.0,
                     changes / 10])
    return np.asarray(rows, dtype=np.float32)


@dataclass
class SpeechTokenizer:
    """k-means centres over ``features`` (phonetic units) and, for Expressive, over
    ``style_features`` (style units); ``encode`` gives an utterance's unit streams."""

    centres: np.ndarray  # (units, 39)
    style_centres: np.ndarray | None = None  # (style units, 5)

    @classmethod
    def fit(cls, audios: list[np.ndarray], units: int = 100, seed: int = 0,
            speakers: list[Speaker] | None = None, styles: int = 8) -> SpeechTokenizer:
        """Phonetic units from ``audios``; style units too when each audio's ``speakers`` is given."""
        from sklearn.cluster import KMeans
        frames = np.concatenate([features(audio) for audio in audios])
        tokenizer = cls(KMeans(n_clusters=units, n_init=3, random_state=seed).fit(frames).cluster_centers_
                        .astype(np.float32))
        if speakers is not None:
            windows = np.concatenate([style_features(audio, tokenizer.phonetic(audio), speaker)
                                      for audio, speaker in zip(audios, speakers, strict=True)])
            tokenizer.style_centres = KMeans(n_clusters=styles, n_init=3, random_state=seed).fit(
                windows).cluster_centers_.astype(np.float32)
        return tokenizer

    def phonetic(self, audio: np.ndarray) -> list[int]:
        return nearest(features(audio), self.centres)

    def encode(self, audio: np.ndarray, speaker: Speaker | None = None) -> dict[str, list[int]]:
        """Phonetic units; with the ``speaker``'s reference, pitch and style units too."""
        streams = {"hubert": self.phonetic(audio)}
        if speaker is not None:
            if self.style_centres is None:
                raise ValueError("this tokenizer has no style units: fit it with speakers")
            z = pitch_z(audio, speaker)
            streams["pitch"] = quantise(z)
            streams["style"] = nearest(style_features(audio, streams["hubert"], speaker, z), self.style_centres)
        return streams

    def to_string(self, audio: np.ndarray, speaker: Speaker | None = None) -> str:
        streams = self.encode(audio, speaker)
        return units_to_string(streams["hubert"], streams.get("pitch"), streams.get("style"))

    def save(self, path: Path) -> None:
        styles = {} if self.style_centres is None else {"style_centres": self.style_centres}
        np.savez(path, centres=self.centres, **styles)

    @classmethod
    def load(cls, path: Path) -> SpeechTokenizer:
        centres, styles = read_arrays(path, "centres", "style_centres")
        if centres is None or centres.ndim != 2 or centres.shape[1] != 39 or (styles is not None and styles.ndim != 2):
            raise ValueError(f"{path}: not a unit tokenizer (expected centres of shape (units, 39))")
        return cls(centres.astype(np.float32), None if styles is None else styles.astype(np.float32))


def read_arrays(path: Path, *names: str) -> list[np.ndarray | None]:
    """The named arrays of an ``.npz`` file (None where absent), without unpickling anything; an
    unreadable file is a ``ValueError`` naming it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return [np.asarray(data[name]) if name in data else None for name in names]
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"{path}: not a readable .npz of arrays ({type(error).__name__})") from None


def nearest(rows: np.ndarray, centres: np.ndarray) -> list[int]:
    return ((rows[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1).tolist()


def pnmi(phones: list[str], units: list[int]) -> float:
    """I(phone; unit) / H(phone) over paired frames (HuBERT, arXiv 2106.07447, section IV-C)."""
    if len(phones) != len(units):
        raise ValueError(f"pnmi: {len(phones)} phone frames against {len(units)} unit frames")
    total = len(phones)
    joint, by_phone, by_unit = Counter(zip(phones, units, strict=True)), Counter(phones), Counter(units)
    entropy = -sum(n / total * np.log(n / total) for n in by_phone.values())
    mutual = sum(n / total * np.log(n * total / (by_phone[p] * by_unit[u])) for (p, u), n in joint.items())
    return float(mutual / entropy) if entropy > 0 else 0.0
