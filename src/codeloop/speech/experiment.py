"""The SpiRit-LM miniature's data and training (arXiv 2402.05755): the stores, a text LM, the arms
continued from it; ``evaluation`` scores them and ``benchmarks/spiritlm.py`` prints the table.

Data: WordNet sentences of a 1,500-word vocabulary (``corpus``); the held-out ``test`` ones make
the probes, spoken by held-out voices; ``sentences`` others are spoken by training voices in
random styles and encoded (``dataset``). The text LM (the stand-in for SpiRit-LM's pretrained
Llama 2) trains on the text of every non-test sentence. Each arm then continues it for
``arm_steps`` on documents made from the spoken sentences, one of each kind it names (``ARMS``):

    text_continued    text only: the fair baseline for text ability (as many steps as the others)
    interleaved       speech only, word-level interleaved, text only         (SpiRit-LM Base)
    no_interleaving   speech only, text only                                 (the paper's ablation)
    pairs             speech only, sentence-level pairs (ASR- or TTS-like), text only
    expressive        as interleaved, with pitch and style tokens            (SpiRit-LM Expressive)

Every step is kept under ``out`` (stores, checkpoints, one results line per model), so a run
that stops resumes where it was; ``OUT/run.json`` holds the settings the data and models were
made with, and a run with others is refused (the number of arm steps and the arms aside: more
steps continue an arm, a new arm is trained).
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from codeloop.settings import positive_float, positive_int, setting
from codeloop.speech import probes
from codeloop.speech.corpus import known_words, sentences, wordnet_texts
from codeloop.speech.dataset import Spoken, assign, build, speak, speaker
from codeloop.speech.interleave import AlignedSentence, interleaved, parallel, speech_only, text_only
from codeloop.speech.lm import Vocabulary, new_model, train
from codeloop.speech.synth import HELD_OUT_VOICES, STYLES, TRAIN_VOICES, VOICES, Voice, phonemes
from codeloop.speech.tokenizer import PITCH_BINS, SpeechTokenizer
from codeloop.speech.vocoder import Vocoder

ARMS = {"text_continued": (False, ("text",)),
        "interleaved": (False, ("speech", "interleaved", "text")),
        "no_interleaving": (False, ("speech", "text")),
        "pairs": (False, ("speech", "parallel", "text")),
        "expressive": (True, ("speech", "interleaved", "text"))}
SHOT_VOICE = TRAIN_VOICES[0]  # the few-shot examples' voice (neutral)


@dataclass
class SpiritConfig:
    out: str = setting("runs/spiritlm", "run directory: data, checkpoints, results (default: runs/spiritlm)")
    sentences: int = setting(6000, "spoken training sentences (default: 6000)", type=positive_int)
    test: int = setting(300, "held-out sentences for the probes (default: 300)", type=positive_int)
    units: int = setting(100, "phonetic units (default: 100)", type=positive_int)
    styles: int = setting(8, "style units (default: 8)", type=positive_int)
    fit_sentences: int = setting(300, "sentences the unit tokenizer and vocoder are fit on (default: 300)",
                                 type=positive_int)
    dim: int = setting(128, "model width (default: 128)", type=positive_int)
    n_layers: int = setting(4, "transformer blocks (default: 4)", type=positive_int)
    n_heads: int = setting(8, "attention heads (default: 8)", type=positive_int)
    seq_len: int = setting(256, "tokens per training window (default: 256)", type=positive_int)
    batch_size: int = setting(16, "windows per step (default: 16)", type=positive_int)
    lr: float = setting(2e-3, "peak learning rate (default: 0.002)", type=positive_float)
    text_steps: int = setting(600, "steps of the text LM (default: 600)", type=positive_int)
    arm_steps: int = setting(1500, "steps of each arm, continued from the text LM (default: 1500)",
                             type=positive_int)
    arms: str = setting(",".join(ARMS), f"arms, comma-separated, of {', '.join(ARMS)}")
    few_shot: int = setting(40, "ASR and TTS items (default: 40)", type=positive_int)
    shots: int = setting(1, "short examples before each ASR or TTS query (default: 1: prompts stay inside the "
                         "training window)", type=positive_int)
    style_items: int = setting(30, "sentences said in each style for the style probe (default: 30)",
                               type=positive_int)
    jobs: int = setting(2, "espeak-ng threads (default: 2)", type=positive_int)
    seed: int = setting(0, "random seed (default: 0)")

    def __post_init__(self) -> None:
        self.arm_names()

    def arm_names(self) -> list[str]:
        names = [name.strip() for name in self.arms.split(",") if name.strip()]
        unknown = [name for name in names if name not in ARMS]
        if unknown or not names:
            raise ValueError(f"arms: expected names among {', '.join(ARMS)}, got {self.arms!r}")
        return names


QUICK = {"sentences": 1200, "test": 100, "fit_sentences": 120, "batch_size": 8, "text_steps": 150,
         "arm_steps": 200, "few_shot": 12, "style_items": 12}  # about 10 minutes on 2 cores


@dataclass
class Data:
    vocabulary: Vocabulary
    text: list[list[str]]        # every non-test sentence
    train: list[Spoken]
    test: list[Spoken]           # held-out voices, neutral
    styles: list[Spoken]         # test sentences in each style, held-out voices
    swuggy: list[tuple[Spoken, Spoken]]
    blimp: list[tuple[Spoken, Spoken]]
    few_shot: list[probes.FewShot]
    cloze: list[probes.ClozeItem]


def held_out(index: int) -> int:
    return VOICES.index(HELD_OUT_VOICES[index % len(HELD_OUT_VOICES)])


# Settings that may change between runs in one directory; any other change is refused.
FREE = ("out", "jobs", "arms", "arm_steps")


def check_settings(config: SpiritConfig) -> None:
    """Write ``OUT/run.json``, or refuse a run whose settings differ from the ones it records."""
    path = Path(config.out) / "run.json"
    settings = {k: v for k, v in asdict(config).items() if k not in FREE}
    if not path.exists():
        path.write_text(json.dumps(settings, indent=1) + "\n")
        return
    try:
        recorded = json.loads(path.read_text())
    except ValueError:
        raise ValueError(f"{path}: not JSON; use another --out") from None
    changed = [k for k in settings if recorded.get(k) != settings[k]]
    if changed:
        raise ValueError(f"{path}: made with --{changed[0].replace('_', '-')} {recorded.get(changed[0])} (this run: "
                         f"{settings[changed[0]]}); use another --out")


def tokenizer_for(config: SpiritConfig, words: list[list[str]], progress: bool) -> SpeechTokenizer:
    """The run's unit tokenizer (and vocoder), fit once on ``fit_sentences`` training utterances."""
    out = Path(config.out)
    if (out / "tokenizer.npz").exists() and (out / "vocoder.npz").exists():
        return SpeechTokenizer.load(out / "tokenizer.npz")
    plan = assign(words[:config.fit_sentences], TRAIN_VOICES, random.Random(config.seed + 1))
    utterances = list(speak(plan, config.jobs, progress))
    speakers = [speaker(VOICES[voice]) for _, voice, _ in plan]
    tokenizer = SpeechTokenizer.fit([u.audio for u in utterances], config.units, config.seed, speakers, config.styles)
    Vocoder.fit([u.audio for u in utterances], [tokenizer.phonetic(u.audio) for u in utterances],
                config.units).save(out / "vocoder.npz")
    tokenizer.save(out / "tokenizer.npz")
    return tokenizer


def prepare(config: SpiritConfig, progress: bool = True) -> Data:
    """Every store of the run, made where missing."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    check_settings(config)
    rng = random.Random(config.seed)
    pool = sentences(wordnet_texts())
    rng.shuffle(pool)
    test_words, text = pool[:config.test], pool[config.test:]
    tokenizer = tokenizer_for(config, text, progress)

    def store(name: str, plan: list[tuple[list[str], int, str]]) -> list[Spoken]:
        return build(out / f"{name}.jsonl", plan, tokenizer, config.jobs, progress)

    train_set = store("train", assign(text[:config.sentences], TRAIN_VOICES, random.Random(config.seed + 2)))
    test = store("test", [(words, held_out(i), "neutral") for i, words in enumerate(test_words)])
    styles = store("styles", [(words, held_out(i), style) for i, words in enumerate(test_words[:config.style_items])
                              for style in STYLES])
    known, choose = known_words(), random.Random(config.seed + 3)
    words = sorted({w for s in test_words for w in s if len(w) >= 4})
    pairs = []
    for word in choose.sample(words, min(len(words), config.test)):
        voice = held_out(len(pairs))
        if fake := probes.nonword(word, known, choose, functools.partial(sounds, VOICES[voice])):
            pairs.append((word, fake, voice))
    swuggy = store("swuggy", [([w], voice, "neutral") for word, fake, voice in pairs for w in (word, fake)])
    swaps = [(i, changed) for i, s in enumerate(test) if (changed := probes.swapped(s.sentence.words, choose))]
    blimp = store("blimp", [(list(changed), test[i].voice, "neutral") for i, changed in swaps])
    shot_pool = sorted(text[:400], key=len)[:config.shots * 4]  # the shortest training sentences
    shot_voice = VOICES.index(SHOT_VOICE)
    few = store("few_shot", [(words, shot_voice, "neutral") for words in shot_pool + test_words[:config.few_shot]])
    few_shot = [probes.FewShot([few[(i + k) % len(shot_pool)] for k in range(config.shots)], test[i],
                               few[len(shot_pool) + i]) for i in range(min(config.few_shot, len(test)))]
    plan = cloze_plan(test, choose)  # a prompt, its ending and another's, each said alone
    said = store("cloze", [(list(part), test[i].voice, "neutral") for i, j, cut in plan
                           for part in cloze_parts(test[i].sentence.words, test[j].sentence.words, cut)])
    cloze = [probes.ClozeItem(*said[3 * n:3 * n + 3]) for n in range(len(plan))]
    vocabulary = Vocabulary.build([w for s in pool for w in s], config.units, PITCH_BINS, config.styles)
    return Data(vocabulary, text, train_set, test, styles, list(zip(swuggy[::2], swuggy[1::2], strict=True)),
                [(test[i], b) for (i, _), b in zip(swaps, blimp, strict=True)], few_shot, cloze)


def cloze_plan(test: list[Spoken], rng: random.Random) -> list[tuple[int, int, int]]:
    """(sentence, other sentence, words in the prompt): each test sentence cut in half, against the
    as many last words of another sentence of the same voice, a different ending."""
    plan = []
    for i, spoken in enumerate(test):
        words = spoken.sentence.words
        cut = len(words) // 2
        tail = len(words) - cut
        others = [j for j, other in enumerate(test) if j != i and other.voice == spoken.voice
                  and len(other.sentence.words) - tail >= 2 and other.sentence.words[-tail:] != words[-tail:]]
        if others:
            plan.append((i, rng.choice(others), cut))
    return plan


def cloze_parts(words: tuple[str, ...], other: tuple[str, ...], cut: int) -> tuple[tuple[str, ...], ...]:
    """A cloze item's words: the prompt, its true ending, the other sentence's ending."""
    return words[:cut], words[cut:], other[-(len(words) - cut):]


def sounds(voice: Voice, word: str) -> tuple[str, ...]:
    return phonemes((word,), voice)[0]


def document(kind: str, sentence: AlignedSentence, rng: random.Random) -> str:
    if kind == "interleaved":
        return interleaved(sentence, rng)
    if kind == "parallel":
        return parallel(sentence, speech_first=rng.random() < 0.5)
    return speech_only(sentence) if kind == "speech" else text_only(sentence)


def documents(arm: str, spoken: list[Spoken], rng: random.Random) -> list[str]:
    """One document of each of the arm's kinds per sentence, shuffled."""
    expressive, kinds = ARMS[arm]
    docs = [document(kind, item.sentence if expressive else item.sentence.base(), rng)
            for item in spoken for kind in kinds]
    rng.shuffle(docs)
    return docs


def train_all(config: SpiritConfig, data: Data, progress: bool = True) -> dict[str, Path]:
    """The text LM, then each arm continued from it: their checkpoints."""
    out, settings = Path(config.out), dict(batch_size=config.batch_size, seq_len=config.seq_len, lr=config.lr,
                                           seed=config.seed, progress=progress)
    model = new_model(data.vocabulary, config.dim, config.n_layers, config.n_heads, seed=config.seed)
    text_val = [text_only(s.sentence) for s in data.test]
    train(model, data.vocabulary, [" ".join(["[Text]", *words]) for words in data.text], text_val, out / "text",
          config.text_steps, **settings)
    checkpoints = {"text LM": out / "text" / "checkpoint.pt"}
    for arm in config.arm_names():
        rng = random.Random(config.seed)
        model = new_model(data.vocabulary, config.dim, config.n_layers, config.n_heads, seed=config.seed)
        train(model, data.vocabulary, documents(arm, data.train, rng), documents(arm, data.test[:50], rng),
              out / arm, config.arm_steps, start=checkpoints["text LM"], **settings)
        checkpoints[arm] = out / arm / "checkpoint.pt"
    return checkpoints
