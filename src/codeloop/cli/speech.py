"""``codeloop speech generate``: speech from a SpiRit-LM miniature run (``benchmarks/spiritlm.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from codeloop.cli.common import add_out, command, requires


def register(commands: argparse._SubParsersAction) -> None:
    speech = command(commands, "speech", "the SpiRit-LM miniature's speech")
    actions = speech.add_subparsers(dest="action", required=True, metavar="ACTION")
    generate = command(actions, "generate", "write a WAV file: text spoken by a trained arm (few-shot TTS), "
                                            "or a unit string through the run's vocoder")
    generate.add_argument("--run", required=True, help="run directory of benchmarks/spiritlm.py (its --out)")
    source = generate.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="lowercase words of the run's vocabulary, spoken by --arm")
    source.add_argument("--units", help="a unit string ([Hu12][Hu7]...), vocoded as it is")
    generate.add_argument("--arm", default="interleaved", help="the trained arm that speaks --text "
                                                                "(default: interleaved)")
    add_out(generate, "FILE.wav", "the WAV file to write", required=True)
    generate.set_defaults(handler=generate_command)


def generate_command(args: argparse.Namespace) -> int:
    requires("speech", "librosa", "soundfile")
    if args.text is not None:
        requires("models", "torch")
    from codeloop.speech.vocoder import Vocoder, write_wav
    run = Path(args.run)
    if not (run / "vocoder.npz").is_file():
        raise FileNotFoundError(f"{run}: not a run of benchmarks/spiritlm.py (no vocoder.npz)")
    if args.units is not None and "[Hu" not in args.units:
        raise ValueError("--units: no phonetic units ([HuN]) in it")
    vocoder = Vocoder.load(run / "vocoder.npz")
    units = args.units if args.units is not None else speak(run, args.arm, args.text)
    if "[Hu" not in units:
        raise ValueError(f"--arm {args.arm}: the model said no phonetic units for this text")
    seconds = write_wav(Path(args.out), vocoder(units))
    print(f"{args.out}: {seconds:.2f} s of audio from {units.count('[Hu')} phonetic units")
    return 0


def speak(run: Path, arm: str, text: str) -> str:
    """``text``'s unit string from the arm's model, after the run's few-shot examples."""
    import json
    import re

    from codeloop.speech.dataset import load as load_store
    from codeloop.speech.experiment import ARMS, SpiritConfig
    from codeloop.speech.lm import load
    from codeloop.speech.probes import tts_units
    if arm not in ARMS or ARMS[arm][1] == ("text",):
        raise ValueError(f"--arm: expected one of {', '.join(a for a in ARMS if ARMS[a][1] != ('text',))}, "
                         f"got {arm!r}")
    try:
        config = SpiritConfig(**json.loads((run / "run.json").read_text()))
    except (OSError, ValueError, TypeError) as error:
        raise ValueError(f"{run / 'run.json'}: not a run's settings ({type(error).__name__})") from None
    model, vocabulary = load(run / arm / "checkpoint.pt")
    words = tuple(re.findall(r"\S+", text.lower()))
    unknown = [word for word in words if word not in vocabulary.index or not word.isalpha()]
    if unknown or not words:
        raise ValueError(f"--text: words outside the run's vocabulary: {unknown[:5] or 'none given'}")
    shots = load_store(run / "few_shot.jsonl")[:config.shots]
    if len(shots) < config.shots:
        raise ValueError(f"{run / 'few_shot.jsonl'}: fewer than the run's {config.shots} example(s)")
    return tts_units(model, vocabulary, shots, words, ARMS[arm][0], config.seq_len)
