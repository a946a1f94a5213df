"""SpiRit-LM's evaluations in miniature (arXiv 2402.05755, section 4), on held-out sentences
spoken by held-out voices (new pairings of accent, timbre, rate and pitch: every accent and
timbre is heard in training, never in these combinations).

Every probe gives one value per item, so that each figure has a bootstrap interval:

- ``swuggy``: a spoken word against a spoken non-word made from it by changing one vowel letter
  (sWUGGY, Nguyen et al. 2020), kept when espeak says it with as many phones but not the same
  ones: 1 when the word is the likelier, 0.5 on a tie.
- ``blimp``: a sentence against itself with two adjacent words swapped (sBLIMP's minimal pairs,
  in speech; the same pairs in text check that text ability is kept).
- ``cloze``: StoryCloze in four directions (section 4.2: T->T, S->S, T->S, S->T): a sentence's
  first half, and its true second half against another held-out sentence's last words, as many.
  In speech the prompt and both endings are each said alone by one voice: units cut from one
  recording would carry the next word's onset (MFCC deltas span 160 ms, the pause is 60 ms). The
  score of a continuation is how much the prompt raises its log-likelihood, log p(c | prompt) -
  log p(c) (the paper ranks by log p(c | prompt); here the two continuations differ in length
  and frequency, and a model that ignores the prompt then scores exactly chance).
- ``asr`` / ``tts``: few-shot (section 4.3): ``shots`` short sentence pairs of a training voice,
  then the query; greedy decoding restricted to words (ASR, word error rate; at most
  ``MAX_WORDS``) or to units (TTS, unit error rate of the phonetic units against espeak-ng's for
  the text, said by the shots' voice; at most ``UNITS_PER_WORD`` phonetic units a word), within
  the training window.
- ``style``: Expressive only (section 4.4, in miniature): the first half of a sentence said
  calm, neutral or excited; the model continues it for ``STYLE_TOKENS`` tokens, and a classifier
  of pitch and style token histograms (``StyleClassifier``, fit on training sentences) names the
  continuation's style: 1 when it is the prompt's (averaged over a sentence's three styles, so
  that intervals resample sentences).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from codeloop.speech.dataset import Spoken
from codeloop.speech.interleave import AlignedSentence
from codeloop.speech.lm import SEPARATOR, Vocabulary, generate, log_likelihoods
from codeloop.speech.units import SPEECH, TEXT

DIRECTIONS = ("T->T", "S->S", "T->S", "S->T")
STYLE_TOKENS = 60
MAX_WORDS = 16      # an ASR output's longest (test sentences have at most 12 words)
UNITS_PER_WORD = 20  # a TTS output's most phonetic units a word (espeak's: about 10)
VOWELS = "aeiou"


def nonword(word: str, known: set[str], rng: random.Random, sounds: Callable[[str], tuple[str, ...]]) -> str | None:
    """``word`` with one vowel letter changed to another: not a known word, and said with as many
    phones as the word but not the same ones (``sounds``: a word's phones); None if none is."""
    options = [word[:i] + v + word[i + 1:] for i, c in enumerate(word) if c in VOWELS for v in VOWELS if v != c]
    options = [option for option in options if option not in known]
    rng.shuffle(options)
    return next((o for o in options if len(sounds(o)) == len(sounds(word)) and sounds(o) != sounds(word)), None)


def swapped(words: tuple[str, ...], rng: random.Random) -> tuple[str, ...] | None:
    """``words`` with one pair of adjacent, different words swapped (not the first pair)."""
    places = [i for i in range(1, len(words) - 1) if words[i] != words[i + 1]]
    if not places:
        return None
    i = rng.choice(places)
    return (*words[:i], words[i + 1], words[i], *words[i + 2:])


def speech(sentence: AlignedSentence, expressive: bool) -> str:
    return (sentence if expressive else sentence.base()).speech()


@dataclass
class ClozeItem:
    prompt: Spoken  # a sentence's first half, said alone
    true: Spoken    # the rest of it, said alone by the same voice
    false: Spoken   # as many last words of another sentence, said alone by the same voice


def cloze_pairs(item: ClozeItem, direction: str, expressive: bool) -> list[tuple[str, str]]:
    """(prompt, continuation) for the true and the false continuation, then each alone."""
    prompt_kind, continuation_kind = direction.split("->")
    prompt = (TEXT + " ".join(item.prompt.sentence.words) if prompt_kind == "T"
              else SPEECH + speech(item.prompt.sentence, expressive))
    marker = TEXT if continuation_kind == "T" else SPEECH
    pairs = []
    for ending in (item.true, item.false):
        body = (" " + " ".join(ending.sentence.words) if continuation_kind == "T"
                else speech(ending.sentence, expressive))
        if prompt_kind == continuation_kind:
            pairs += [(prompt, body), (marker, body)]
        else:
            pairs += [(prompt, marker + body), ("", marker + body)]
    return pairs


def cloze(model, vocabulary: Vocabulary, items: list[ClozeItem], direction: str, expressive: bool) -> list[float]:
    pairs = [pair for item in items for pair in cloze_pairs(item, direction, expressive)]
    scores = log_likelihoods(model, vocabulary, pairs)
    values = []
    for k in range(len(items)):
        true_cond, true_alone, false_cond, false_alone = scores[4 * k:4 * k + 4]
        gain = (true_cond - true_alone) - (false_cond - false_alone)
        values.append(1.0 if gain > 0 else 0.5 if gain == 0 else 0.0)
    return values


def preference(model, vocabulary: Vocabulary, pairs: list[tuple[str, str]]) -> list[float]:
    """1 where the first of each pair is the likelier, 0.5 on a tie (each scored from ``<s>``)."""
    scores = log_likelihoods(model, vocabulary, [("", text) for pair in pairs for text in pair])
    return [1.0 if a > b else 0.5 if a == b else 0.0 for a, b in zip(scores[::2], scores[1::2], strict=True)]


def edit_distance(a: list, b: list) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def error_rate(hypothesis: list, reference: list) -> float:
    return edit_distance(hypothesis, reference) / max(1, len(reference))


@dataclass
class FewShot:
    shots: list[Spoken]             # short sentences, by one training voice
    query: Spoken                   # by a held-out voice (ASR)
    reference: Spoken               # the query's text said by the shots' voice (TTS)


def asr_prompt(shots: list[Spoken], query: Spoken, expressive: bool) -> str:
    examples = "".join(SEPARATOR + SPEECH + speech(s.sentence, expressive) + TEXT + " ".join(s.sentence.words)
                       for s in shots)
    return (examples + SEPARATOR + SPEECH + speech(query.sentence, expressive) + TEXT)[len(SEPARATOR):]


def asr(model, vocabulary: Vocabulary, items: list[FewShot], expressive: bool, window: int) -> list[float]:
    values = []
    for item in items:
        out = generate(model, vocabulary, asr_prompt(item.shots, item.query, expressive), vocabulary.words(),
                       [vocabulary.index[SEPARATOR], vocabulary.index[SPEECH]], MAX_WORDS, window=window)
        values.append(error_rate(vocabulary.decode(out).split(), list(item.query.sentence.words)))
    return values


def phonetic(text: str) -> list[int]:
    return [int(unit) for unit in re.findall(r"\[Hu(\d+)\]", text)]


def tts_prompt(shots: list[Spoken], words: tuple[str, ...], expressive: bool) -> str:
    examples = "".join(SEPARATOR + TEXT + " ".join(s.sentence.words) + SPEECH + speech(s.sentence, expressive)
                       for s in shots)
    return (examples + SEPARATOR + TEXT + " ".join(words) + SPEECH)[len(SEPARATOR):]


def tts_units(model, vocabulary: Vocabulary, shots: list[Spoken], words: tuple[str, ...], expressive: bool,
              window: int) -> str:
    """The model's unit string for ``words``, after the shots: at most ``UNITS_PER_WORD`` phonetic
    units a word, within ``window`` tokens."""
    allowed = vocabulary.ids("[Hu") + (vocabulary.ids("[Pi") + vocabulary.ids("[St") if expressive else [])
    return vocabulary.decode(generate(model, vocabulary, tts_prompt(shots, words, expressive), allowed,
                                      [vocabulary.index[SEPARATOR], vocabulary.index[TEXT]],
                                      UNITS_PER_WORD * len(words), counted=vocabulary.ids("[Hu"), window=window))


def tts(model, vocabulary: Vocabulary, items: list[FewShot], expressive: bool, window: int) -> list[float]:
    return [error_rate(phonetic(tts_units(model, vocabulary, item.shots, item.reference.sentence.words, expressive,
                                          window)), phonetic(speech(item.reference.sentence, False)))
            for item in items]


@dataclass
class StyleClassifier:
    """Logistic regression on a unit string's pitch- and style-token histograms."""

    pitch_bins: int
    styles: int
    model: object = field(default=None, repr=False)

    def features(self, text: str) -> np.ndarray:
        pitch = np.bincount([int(p) for p in re.findall(r"\[Pi(\d+)\]", text)], minlength=self.pitch_bins + 1)
        style = np.bincount([int(s) for s in re.findall(r"\[St(\d+)\]", text)], minlength=self.styles)
        return np.concatenate([pitch / max(1, pitch.sum()), style / max(1, style.sum())])

    def fit(self, texts: list[str], labels: list[str]) -> StyleClassifier:
        from sklearn.linear_model import LogisticRegression
        self.model = LogisticRegression(max_iter=2000).fit(np.stack([self.features(t) for t in texts]), labels)
        return self

    def predict(self, texts: list[str]) -> list[str]:
        return list(self.model.predict(np.stack([self.features(t) for t in texts])))


def style(model, vocabulary: Vocabulary, items: list[Spoken], classifier: StyleClassifier) -> list[float]:
    allowed = vocabulary.ids("[Hu") + vocabulary.ids("[Pi") + vocabulary.ids("[St")
    continuations = []
    for item in items:
        cut = len(item.sentence.words) // 2
        out = generate(model, vocabulary, SPEECH + item.sentence.speech(0, cut), allowed,
                       [vocabulary.index[SEPARATOR], vocabulary.index[TEXT]], STYLE_TOKENS)
        continuations.append(vocabulary.decode(out))
    hits: dict[tuple[str, ...], list[float]] = {}
    for guess, item in zip(classifier.predict(continuations), items, strict=True):
        hits.setdefault(item.sentence.words, []).append(float(guess == item.style))
    return [sum(values) / len(values) for values in hits.values()]
