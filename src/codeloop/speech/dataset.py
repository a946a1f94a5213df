"""Spoken sentences as unit streams, made once and kept: the SpiRit-LM miniature's data.

Each sentence is spoken by one voice in one style (``synth``), encoded by a ``SpeechTokenizer``
against the voice's reference (``Speaker``, measured on an enrolment sentence the voice says in
its neutral style) and kept as an ``AlignedSentence`` with all three streams; Base drops pitch and
style (``AlignedSentence.base``). A store is a JSON-lines file, appended to as sentences are made,
so an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from codeloop.speech.interleave import AlignedSentence
from codeloop.speech.synth import STYLES, VOICES, Utterance, Voice, styled, synthesize
from codeloop.speech.tokenizer import Speaker, SpeechTokenizer, measure_speaker

ENROLMENT = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "and", "then", "runs", "back",
             "to", "the", "old", "house"]


@dataclass(frozen=True)
class Spoken:
    """A sentence's streams, with who said it (an index of ``VOICES``) and how (a ``STYLES`` key)."""

    sentence: AlignedSentence
    voice: int
    style: str


@functools.cache
def speaker(voice: Voice) -> Speaker:
    """The voice's prosody reference, from its neutral enrolment sentence."""
    return measure_speaker(synthesize(ENROLMENT, styled(voice, "neutral")).audio)


def assign(sentences: list[list[str]], voices: tuple[Voice, ...], rng: random.Random,
           styles: tuple[str, ...] = tuple(STYLES)) -> list[tuple[list[str], int, str]]:
    """Each sentence with a random voice of ``voices`` and a random style."""
    return [(words, VOICES.index(rng.choice(voices)), rng.choice(styles)) for words in sentences]


def speak(plan: list[tuple[list[str], int, str]], jobs: int = 2, progress: bool = True) -> Iterator[Utterance]:
    """The planned utterances, in order (espeak-ng runs in ``jobs`` threads)."""
    with ThreadPoolExecutor(jobs) as pool:
        yield from tqdm(pool.map(lambda item: synthesize(item[0], styled(VOICES[item[1]], item[2])), plan),
                        total=len(plan), desc="speaking", unit="sentence", disable=not progress)


def encode(utterance: Utterance, voice: int, style: str, tokenizer: SpeechTokenizer) -> Spoken:
    streams = tokenizer.encode(utterance.audio, speaker(VOICES[voice]))
    sentence = AlignedSentence(tuple(word for word, _, _ in utterance.words),
                               tuple((start, end) for _, start, end in utterance.words),
                               tuple(streams["hubert"]), tuple(streams["pitch"]), tuple(streams["style"]))
    return Spoken(sentence, voice, style)


def build(path: Path, plan: list[tuple[list[str], int, str]], tokenizer: SpeechTokenizer, jobs: int = 2,
          progress: bool = True) -> list[Spoken]:
    """The planned sentences' streams: those ``path`` holds already, the rest spoken, encoded and
    appended to it."""
    if path.exists():  # a line cut short by an interruption is made again
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            path.write_bytes(data[:data.rfind(b"\n") + 1])
    done = load(path)
    made = [(list(s.sentence.words), s.voice, s.style) for s in done[:len(plan)]]
    if made != [(list(words), voice, style) for words, voice, style in plan[:len(done)]]:
        raise ValueError(f"{path}: holds other sentences than this plan's; use another --out")
    if len(done) >= len(plan):
        return done[:len(plan)]
    rest = plan[len(done):]
    with open(path, "a") as handle:
        for (_, voice, style), utterance in zip(rest, speak(rest, jobs, progress), strict=True):
            spoken = encode(utterance, voice, style, tokenizer)
            handle.write(json.dumps(asdict(spoken)) + "\n")
            handle.flush()
            done.append(spoken)
    return done


def load(path: Path) -> list[Spoken]:
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            row = json.loads(line)
            sentence = row["sentence"]
            spans = tuple((float(start), float(end)) for start, end in sentence["spans"])
            streams = {key: tuple(int(unit) for unit in sentence.get(key, ())) for key in ("units", "pitch", "style")}
            words = tuple(sentence["words"])
            if not all(isinstance(w, str) and w.isalpha() for w in words) or row["voice"] not in range(len(VOICES)) \
                    or row["style"] not in STYLES or min((u for s in streams.values() for u in s), default=0) < 0:
                raise ValueError("a word, voice, style or unit out of range")
            rows.append(Spoken(AlignedSentence(words, spans, **streams), row["voice"], row["style"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a spoken sentence ({error})") from None
    return rows
