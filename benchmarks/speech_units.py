"""Speech units for the SpiRit-LM miniature: PNMI of every tokenizer, in one run.

WordNet sentences of the restricted vocabulary (``codeloop.speech.corpus``) spoken by espeak-ng
(``codeloop.speech.synth``): training sentences by the training voices, test sentences by the
same voices and by the held-out voices (never heard in training), with phone alignments. For
each number of k-means units: PNMI against the phones (arXiv 2106.07447, section IV-C) on test
sentences of training voices and of held-out voices, and deduplicated units a second (SpiRit-LM's
HuBERT units: about 17 a second, arXiv 2402.05755 section 3.1). Pitch units: voiced share and
distinct deduplicated pitch units a second. The last line is one JSON object.

    python benchmarks/speech_units.py [--train 200] [--test 40] [--units 50,100,200] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import time

from codeloop.speech.corpus import sentences, wordnet_texts
from codeloop.speech.synth import HELD_OUT_VOICES, TRAIN_VOICES, frame_labels, synthesize
from codeloop.speech.tokenizer import SpeechTokenizer, pitch_units, pnmi
from codeloop.speech.units import HUBERT_RATE, dedup


def speak(batch: list[list[str]], voices: tuple, rng: random.Random, align: bool) -> list:
    return [synthesize(words, rng.choice(voices), align_phones=align) for words in batch]


def measure(tokenizer: SpeechTokenizer, utterances: list) -> tuple[float, float]:
    phones, units, deduplicated, seconds = [], [], 0, 0.0
    for utterance in utterances:
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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30 training and 8 test sentences, 50 units")
    args = parser.parse_args()
    if args.quick:
        args.train, args.test, args.units = 30, 8, "50"
    started, rng = time.perf_counter(), random.Random(args.seed)
    pool = sentences(wordnet_texts())
    rng.shuffle(pool)
    train_words, test_words = pool[:args.train], pool[args.train:args.train + args.test]
    train = speak(train_words, TRAIN_VOICES, rng, align=False)
    heard = speak(test_words, TRAIN_VOICES, rng, align=True)
    unheard = speak(test_words, HELD_OUT_VOICES, rng, align=True)
    spoken = time.perf_counter() - started
    hours = sum(u.seconds for u in train) / 3600
    print(f"{len(train)} training sentences ({hours * 60:.1f} min of speech, {len(TRAIN_VOICES)} voices), "
          f"{len(test_words)} test sentences by training and by {len(HELD_OUT_VOICES)} held-out voices; "
          f"spoken in {spoken:.0f} s")
    rows = []
    for count in (int(k) for k in args.units.split(",")):
        tokenizer = SpeechTokenizer.fit([u.audio for u in train], units=count, seed=args.seed)
        heard_pnmi, rate = measure(tokenizer, heard)
        unheard_pnmi, _ = measure(tokenizer, unheard)
        rows.append({"tokenizer": f"MFCC k-means, {count} units", "pnmi_training_voices": round(heard_pnmi, 3),
                     "pnmi_held_out_voices": round(unheard_pnmi, 3), "units_per_s": round(rate, 1)})
        print(f"MFCC k-means {count:4d} units   PNMI {heard_pnmi:.3f} (training voices)  {unheard_pnmi:.3f} "
              f"(held-out voices)   {rate:.1f} deduplicated units/s")
    pitches = [pitch_units(u.audio) for u in unheard]
    voiced = sum(unit > 0 for units in pitches for unit in units) / sum(len(units) for units in pitches)
    pitch_rate = sum(len(dedup(units)) for units in pitches) / sum(u.seconds for u in unheard)
    print(f"pitch units: {voiced:.2f} of 80 ms frames voiced, {pitch_rate:.1f} deduplicated units/s")
    print(json.dumps({"benchmark": "speech_units", "train": len(train), "test": len(test_words), "rows": rows,
                      "pitch_voiced": round(voiced, 3), "pitch_units_per_s": round(pitch_rate, 1),
                      "minutes": round((time.perf_counter() - started) / 60, 1)}))


if __name__ == "__main__":
    main()
