"""SpiRit-LM's speech pieces: the official release's unit strings (checked on vectors its own
``units_to_string`` and ``string_to_units``, facebookresearch/spiritlm, produce), the corpus,
espeak-ng synthesis with word and phone alignments, the unit tokenizer and PNMI."""

from __future__ import annotations

import random
import shutil

import pytest

from codeloop.speech import SPEECH, TEXT, dedup, string_to_units, units_to_string

# (hubert, pitch, style) -> the release's string for them
OFFICIAL_STRINGS = [
    (([78, 42, 81, 159, 316, 259], [13, 13, 13, 13, 13, 3], [81] * 6),  # the release's docstring units
     "[St81][Pi13][Hu78][Hu42][Hu81][Hu159][Hu316][Hu259][Pi3][St81][St81][St81][St81][St81]"),
    (([5, 5, 5, 7, 7, 9, 1, 1, 2], [1, 1, 2, 2, 3], [4, 4]), "[St4][Pi1][Hu5][Hu7][Pi2][Hu9][Hu1][Pi3][Hu2][St4]"),
    ((list(range(10, 37)), list(range(1, 15)), [7, 8]),
     "[St7][Pi1][Hu10][Hu11][Pi2][Hu12][Hu13][Pi3][Hu14][Hu15][Pi4][Hu16][Hu17][Pi5][Hu18][Hu19][Pi6][Hu20][Hu21]"
     "[Pi7][Hu22][Hu23][Pi8][Hu24][Hu25][Pi9][Hu26][Hu27][Pi10][Hu28][Hu29][Pi11][Hu30][Hu31][Pi12][Hu32][Hu33]"
     "[Pi13][Hu34][St8][Hu35][Pi14][Hu36]"),
    (([3, 3, 4], None, None), "[Hu3][Hu4]"),
]
# string -> the release's units for it (style drawn by random.seed(0) where the string has none)
OFFICIAL_UNITS = [
    ("[St1][Pi234][Hu123][Hu45][Text]hello world", False, {"hubert": [123, 45], "pitch": [234, 234], "style": [1, 1]}),
    ("[Pi1][Pi2][Hu5][Pi3][Pi4][Hu6]", False, {"hubert": [5, 6], "pitch": [2, 4], "style": [68, 68]}),
    ("[Pi1][Pi2][Hu5][Pi3][Pi4][Hu6]", True, {"hubert": [5, 5, 5, 6], "pitch": [2, 2, 4, 4], "style": [68] * 4}),
    ("[Hu338][Text] and they went out together[Speech][Hu431][Pi0][Hu457][Hu79][Pi11][Hu258]", False,
     {"hubert": [338, 431, 457, 79, 258], "pitch": [0, 0, 0, 0, 11], "style": [68] * 5}),
    ("[St81][Pi13][Hu78][Hu42][Hu81][Hu159][Hu316][Hu259][Pi3][St81][St81][St81][St81][St81]", False,
     {"hubert": [78, 42, 81, 159, 316, 259], "pitch": [13] * 6, "style": [81] * 6}),
]


def test_units_to_string_as_the_release_writes_it():
    for (hubert, pitch, style), expected in OFFICIAL_STRINGS:
        assert units_to_string(hubert, pitch, style) == expected


def test_string_to_units_as_the_release_reads_it():
    for text, duplicate, expected in OFFICIAL_UNITS:
        assert string_to_units(text, duplicate_hubert_for_multiple_pitch=duplicate, rng=random.Random(0)) == expected


def test_round_trip_of_deduplicated_streams():
    hubert, pitch, style = [4, 9, 4, 7, 1, 2, 8, 3], [5] * 4 + [6] * 4, [2] * 8
    back = string_to_units(units_to_string(hubert, pitch, style))
    assert back["hubert"] == hubert and back["style"] == style
    assert back["pitch"] == [5] * 8  # pitch frame 4 is at 0.32 s, after the last phonetic frame (0.28 s)
    assert string_to_units(units_to_string(hubert)) == {"hubert": hubert}


def test_dedup_and_the_modality_markers():
    assert dedup([1, 1, 2, 2, 2, 1]) == [1, 2, 1] and dedup([]) == []
    assert (TEXT, SPEECH) == ("[Text]", "[Speech]")
    assert string_to_units(f"{TEXT}the cat{SPEECH}[Hu1][Hu2]{TEXT}sat") == {"hubert": [1, 2]}


def test_pnmi_is_one_for_units_that_name_the_phone_and_zero_for_units_that_do_not():
    from codeloop.speech.tokenizer import pnmi
    phones = ["a", "a", "b", "b", "c", "c"] * 10
    assert pnmi(phones, [{"a": 0, "b": 1, "c": 2}[p] for p in phones]) == pytest.approx(1.0)
    assert pnmi(phones, [0] * len(phones)) == pytest.approx(0.0)
    assert 0 < pnmi(phones, [{"a": 0, "b": 0, "c": 1}[p] for p in phones]) < 1
    with pytest.raises(ValueError, match="pnmi: 2 phone frames against 1"):
        pnmi(["a", "b"], [0])


def test_the_corpus_keeps_sentences_of_its_vocabulary():
    from codeloop.speech.corpus import sentences
    texts = ["The cat sat on the mat", "the cat sat", "a dog sat on the mat today", "The cat sat on the mat"]
    kept = sentences(texts, vocabulary=6, shortest=4)
    assert kept == [["the", "cat", "sat", "on", "the", "mat"]]  # too short, out of vocabulary, repeated: out


@pytest.fixture(scope="module")
def spoken():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: scripts/setup.sh")
    from codeloop.speech.synth import VOICES, synthesize
    return [synthesize(words.split(), voice, align_phones=True) for words, voice in
            (("the cat sat on the mat", VOICES[0]), ("a man walked to the store", VOICES[5]),
             ("the dog ran home", VOICES[-1]))]


def test_synthesis_aligns_words_and_phones_in_time(spoken):
    from codeloop.speech.synth import PAUSE_S, SAMPLE_RATE, frame_labels
    first = spoken[0]
    assert [word for word, _, _ in first.words] == ["the", "cat", "sat", "on", "the", "mat"]
    ends = [0.0] + [t for _, start, end in first.words for t in (start, end)]
    assert ends == sorted(ends) and first.words[0][1] == pytest.approx(PAUSE_S)
    assert first.seconds == pytest.approx(first.words[-1][2] + PAUSE_S, abs=1 / SAMPLE_RATE)
    for _, start, end in first.words:  # a word's phones tile it
        inside = [phone for phone in first.phones if start - 1e-9 <= phone[1] and phone[2] <= end + 1e-9]
        assert inside and inside[0][1] == pytest.approx(start) and inside[-1][2] == pytest.approx(end)
        assert all(b > a for _, a, b in inside)
    labels = frame_labels(first, 25)
    assert labels[0] == "sil" and len(labels) == 1 + len(first.audio) // 882 and {"k", "a", "t", "m"} <= set(labels)


def test_the_tokenizer_encodes_saves_and_loads(spoken, tmp_path):
    from codeloop.speech.tokenizer import PITCH_BINS, SpeechTokenizer, measure_speaker, pitch_units
    speaker = measure_speaker(spoken[0].audio)
    tokenizer = SpeechTokenizer.fit([u.audio for u in spoken[:2]], units=8, speakers=[speaker] * 2, styles=2)
    units = tokenizer.phonetic(spoken[2].audio)
    assert len(units) == 1 + len(spoken[2].audio) // 882 and set(units) <= set(range(8))
    tokenizer.save(tmp_path / "units.npz")
    loaded = SpeechTokenizer.load(tmp_path / "units.npz")
    assert loaded.phonetic(spoken[2].audio) == units and loaded.encode(spoken[2].audio, speaker) == tokenizer.encode(
        spoken[2].audio, speaker)
    pitch = pitch_units(spoken[2].audio)
    assert 0 in pitch and max(pitch) <= PITCH_BINS and any(unit > 0 for unit in pitch)
    streams = tokenizer.encode(spoken[2].audio, speaker)
    assert len(streams["style"]) == int(-(-spoken[2].seconds // 1)) and set(streams["style"]) <= {0, 1}
    back = string_to_units(tokenizer.to_string(spoken[2].audio, speaker))
    assert back["hubert"] == dedup(units) and len(back["pitch"]) == len(back["style"]) == len(back["hubert"])


def test_styles_move_pitch_and_loudness_against_the_speaker():
    import numpy as np

    from codeloop.speech.synth import TRAIN_VOICES, styled, synthesize
    from codeloop.speech.tokenizer import measure_speaker, pitch_z
    voice = TRAIN_VOICES[0]
    words = ["the", "old", "man", "walked", "to", "the", "house"]
    speaker = measure_speaker(synthesize(words, styled(voice, "neutral")).audio)
    levels = {style: float(np.nanmean(pitch_z(synthesize(words, styled(voice, style)).audio, speaker)))
              for style in ("calm", "neutral", "excited")}
    assert levels["calm"] < levels["neutral"] < levels["excited"]
    with pytest.raises(ValueError, match="style: expected one of"):
        styled(voice, "angry")


def test_the_speech_units_benchmark_runs():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: scripts/setup.sh")
    import json
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "speech_units.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert 0.2 < result["rows"][0]["pnmi_held_out_voices"] < 1 and result["pitch_voiced"] > 0.3
    assert 0 < result["style_nmi_style_units"] <= 1 and 0 < result["style_nmi_pitch_units"] <= 1
    assert [row["tokenizer"][:6] for row in result["rows"]] == ["MFCC k", "HuBERT", "HuBERT"]


def test_interleaving_switches_modality_only_at_word_boundaries():
    import itertools
    import re

    from codeloop.speech.interleave import AlignedSentence, interleaved, parallel, speech_only, text_only
    # five words; word k's frames carry units 10k, 10k + 1 (a pause frame of unit 99 between words)
    spans, units, at = [], [], 0
    for k in range(5):
        units += [10 * k, 10 * k, 10 * k + 1, 99]
        spans.append((at / 24.99, (at + 3) / 24.99))
        at += 4
    sentence = AlignedSentence(("alpha", "beta", "gamma", "delta", "omega"), tuple(spans), tuple(units))
    assert sentence.speech(2, 3) == "[Hu20][Hu21]"  # the pause frame is no word's
    assert text_only(sentence) == "[Text]alpha beta gamma delta omega"
    assert speech_only(sentence) == "[Speech]" + "".join(f"[Hu{10 * k}][Hu{10 * k + 1}]" for k in range(5))
    assert parallel(sentence, speech_first=False) == text_only(sentence) + speech_only(sentence)
    seen_first = set()
    for seed in range(40):
        text = interleaved(sentence, random.Random(seed), longest_span=2)
        spans_found = re.findall(r"(\[Text\]|\[Speech\])((?:(?!\[Text\]|\[Speech\]).)*)", text)
        kinds = [kind for kind, _ in spans_found]
        assert all(a != b for a, b in itertools.pairwise(kinds))  # alternating
        seen_first.add(kinds[0])
        words = []
        for kind, body in spans_found:  # each span is whole words: text as words, speech as their units
            if kind == "[Text]":
                words += body.split()
            else:
                units_found = [int(u) for u in re.findall(r"\[Hu(\d+)\]", body)]
                words += [sentence.words[u // 10] for u in units_found if u % 10 == 0]
                assert 99 not in units_found
            assert body  # no empty span
        assert words == list(sentence.words)
    assert seen_first == {"[Text]", "[Speech]"}
