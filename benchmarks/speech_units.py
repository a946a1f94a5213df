"""Speech units for the SpiRit-LM miniature: PNMI of every tokenizer, in one run.

WordNet sentences of the restricted vocabulary (``codeloop.speech.corpus``) spoken by espeak-ng
(``codeloop.speech.synth``): training sentences by the training voices in random styles, test
sentences by the same voices and by the held-out voices (never heard in training), with phone
alignments. For each number of k-means units, and for one round of HuBERT
(``codeloop.speech.hubert``) on the last: PNMI against the phones (arXiv 2106.07447, section
IV-C) on test sentences of training voices and of held-out voices, and deduplicated units a
second (SpiRit-LM's HuBERT units: about 17 a second, arXiv 2402.05755 section 3.1). Pitch units:
voiced share and deduplicated pitch units a second. Expressive: the test sentences said calm,
neutral and excited by the held-out voices; how much the style is told by the style units and by
the pitch units. The last line is one JSON object.

    python benchmarks/speech_units.py [--train 200] [--test 40] [--units 50,100,200] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import time

from codeloop.speech.corpus import sentences, wordnet_texts
from codeloop.speech.dataset import speaker
from codeloop.speech.synth import HELD_OUT_VOICES, STYLES, TRAIN_VOICES, frame_labels, styled, synthesize
from codeloop.speech.tokenizer import SpeechTokenizer, pitch_units, pnmi
from codeloop.speech.units import HUBERT_RATE, PITCH_RATE, dedup


def speak(batch: list[list[str]], voices: tuple, rng: random.Random, align: bool, style: str | None = None) -> list:
    """Each sentence by a random voice of ``voices`` in ``style`` (default: a random one), with the
    voice's own reference (its neutral style's: ``dataset.speaker``)."""
    spoken = []
    for words in batch:
        voice = rng.choice(voices)
        utterance = synthesize(words, styled(voice, style or rng.choice(list(STYLES))), align_phones=align)
        spoken.append((utterance, speaker(voice)))
    return spoken


def measure(tokenizer, spoken: list) -> tuple[float, float]:
    phones, units, deduplicated, seconds = [], [], 0, 0.0
    for utterance, _ in spoken:
        found = tokenizer.phonetic(utterance.audio)
        phones += frame_labels(utterance, HUBERT_RATE)
        units += found
        deduplicated += len(dedup(found))
        seconds += utterance.seconds
    return pnmi(phones, units), deduplicated / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=200, help="training sentences")
    parser.add_argument("--test", type=int, default=40, help="test sentences for each voice set")
    parser.add_argument("--units", default="50,100,200", help="k-means sizes, comma-separated")
    parser.add_argument("--hubert-steps", type=int, default=600,
                        help="steps of one HuBERT round on the largest k-means units (0: none; default: 600)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30 training and 8 test sentences, 50 units, "
                                                             "60 HuBERT steps")
    args = parser.parse_args()
    if args.quick:
        args.train, args.test, args.units, args.hubert_steps = 30, 8, "50", 60
    started, rng = time.perf_counter(), random.Random(args.seed)
    pool = sentences(wordnet_texts())
    rng.shuffle(pool)
    train_words, test_words = pool[:args.train], pool[args.train:args.train + args.test]
    train = speak(train_words, TRAIN_VOICES, rng, align=False)
    heard = speak(test_words, TRAIN_VOICES, rng, align=True, style="neutral")
    unheard = speak(test_words, HELD_OUT_VOICES, rng, align=True, style="neutral")
    moods = {style: speak(test_words, HELD_OUT_VOICES, random.Random(args.seed), False, style) for style in STYLES}
    spoken = time.perf_counter() - started
    hours = sum(u.seconds for u, _ in train) / 3600
    print(f"{len(train)} training sentences ({hours * 60:.1f} min of speech, {len(TRAIN_VOICES)} voices, random "
          f"styles), {len(test_words)} test sentences by training and by {len(HELD_OUT_VOICES)} held-out voices; "
          f"spoken in {spoken:.0f} s")
    rows = []

    def report(name: str, tokenizer) -> None:
        heard_pnmi, rate = measure(tokenizer, heard)
        unheard_pnmi, _ = measure(tokenizer, unheard)
        rows.append({"tokenizer": name, "pnmi_training_voices": round(heard_pnmi, 3),
                     "pnmi_held_out_voices": round(unheard_pnmi, 3), "units_per_s": round(rate, 1)})
        print(f"{name}   PNMI {heard_pnmi:.3f} (training voices)  {unheard_pnmi:.3f} (held-out voices)   "
              f"{rate:.1f} deduplicated units/s")

    for count in (int(k) for k in args.units.split(",")):
        tokenizer = SpeechTokenizer.fit([u.audio for u, _ in train], count, args.seed, [r for _, r in train], styles=8)
        report(f"MFCC k-means, {count} units", tokenizer)
    if args.hubert_steps:
        from codeloop.speech.hubert import HubertTokenizer, train_encoder
        audios = [u.audio for u, _ in train]
        targets = [tokenizer.phonetic(audio) for audio in audios]
        encoder = train_encoder(audios, targets, count, steps=args.hubert_steps, seed=args.seed)
        for layer in (2, 4):
            hubert = HubertTokenizer.fit(encoder, audios, count, layer, seed=args.seed)
            report(f"HuBERT, one round (layer {layer}, {args.hubert_steps} steps), {count} units", hubert)
    # Expressive: how much the style (calm, neutral, excited) is told by the style units (one a
    # second) and by the voiced pitch units (12.5 a second), of held-out voices: I(style; unit) / H(style)
    labels, styles, pitch_labels, pitches = [], [], [], []
    for style, spoken in moods.items():
        for utterance, reference in spoken:
            streams = tokenizer.encode(utterance.audio, reference)
            styles += streams["style"]
            labels += [style] * len(streams["style"])
            pitches += [unit for unit in streams["pitch"] if unit > 0]
            pitch_labels += [style] * sum(unit > 0 for unit in streams["pitch"])
    style_nmi, pitch_nmi = pnmi(labels, styles), pnmi(pitch_labels, pitches)
    plain = [pitch_units(u.audio) for u, _ in unheard]
    voiced = sum(unit > 0 for units in plain for unit in units) / sum(len(units) for units in plain)
    pitch_rate = sum(len(dedup(units)) for units in plain) / sum(u.seconds for u, _ in unheard)
    print(f"pitch units: {voiced:.2f} of {1000 / PITCH_RATE:.0f} ms frames voiced, {pitch_rate:.1f} deduplicated "
          f"units/s; style told by style units (NMI) {style_nmi:.3f}, by voiced pitch units {pitch_nmi:.3f}")
    print(json.dumps({"benchmark": "speech_units", "train": len(train), "test": len(test_words), "rows": rows,
                      "pitch_voiced": round(voiced, 3), "pitch_units_per_s": round(pitch_rate, 1),
                      "style_nmi_style_units": round(style_nmi, 3), "style_nmi_pitch_units": round(pitch_nmi, 3),
                      "minutes": round((time.perf_counter() - started) / 60, 1)}))


if __name__ == "__main__":
    main()
