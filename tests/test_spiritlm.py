"""The SpiRit-LM miniature: the model's vocabulary, scoring and decoding, every probe's
construction (pairs differ only where they should), Expressive streams in interleaving, the
vocoder's WAV output, and a tiny run of the whole experiment."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from codeloop.speech import probes  # noqa: E402
from codeloop.speech.dataset import Spoken  # noqa: E402
from codeloop.speech.interleave import AlignedSentence, interleaved  # noqa: E402
from codeloop.speech.lm import Vocabulary, generate, log_likelihoods, new_model  # noqa: E402

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng: scripts/setup.sh")


def sentence(words: str, offset: int = 0) -> AlignedSentence:
    """Word k spans frames 4k .. 4k + 2 (units 10k + offset, 10k + 1 + offset), a pause frame after."""
    spans, units = [], []
    for k, _ in enumerate(words.split()):
        units += [10 * k + offset, 10 * k + offset, 10 * k + 1 + offset, 99]
        spans.append((4 * k / 24.99, (4 * k + 3) / 24.99))
    pitch = [1 + (i % 3) for i in range(len(units) // 2 + 1)]
    style = [5] * (1 + int(len(units) / 24.99))
    return AlignedSentence(tuple(words.split()), tuple(spans), tuple(units), tuple(pitch), tuple(style))


def vocabulary() -> Vocabulary:
    return Vocabulary.build(["the", "cat", "sat", "on", "a", "mat", "dog", "ran"], units=100, pitch_bins=4, styles=8)


def test_the_vocabulary_round_trips_and_names_unknown_tokens():
    vocab = vocabulary()
    text = "[Text]the cat[Speech][St5][Pi2][Hu3][Hu40][Text]sat on"
    assert vocab.decode(vocab.encode(text)) == text
    assert vocab.decode(vocab.encode("<s>[Text]a dog ran")) == "<s>[Text]a dog ran"
    with pytest.raises(ValueError, match="not in the vocabulary: \\['zebra'\\]"):
        vocab.encode("[Text]the zebra")
    with pytest.raises(ValueError, match="Hu100"):
        vocab.encode("[Speech][Hu100]")
    assert len(vocab.ids("[Hu")) == 100 and len(vocab.ids("[Pi")) == 5 and len(vocab.words()) == 8


def test_log_likelihoods_sum_the_continuation_and_generation_keeps_to_allowed_tokens():
    vocab = vocabulary()
    model = new_model(vocab, dim=32, n_layers=1, n_heads=2, max_seq_len=64).eval()
    pairs = [("[Text]the cat", " sat on a mat"), ("[Text]a", " dog"), ("", "[Speech][Hu1][Hu2]")]
    scores = log_likelihoods(model, vocab, pairs, batch_size=2)
    for (prompt, continuation), score in zip(pairs, scores, strict=True):
        ids = vocab.encode("<s>" + prompt + continuation)
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([ids]))[0], -1)
        start = len(vocab.encode("<s>" + prompt))
        assert score == pytest.approx(sum(float(logp[i - 1, ids[i]]) for i in range(start, len(ids))), abs=1e-4)
    out = generate(model, vocab, "[Text]the cat[Speech]", vocab.ids("[Hu"), [vocab.index["<s>"]], 12)
    assert 0 < len(out) <= 12 and set(out) <= set(vocab.ids("[Hu"))
    units = vocab.ids("[Hu")
    out = generate(model, vocab, "[Speech]", units + vocab.ids("[Pi"), [], 5, counted=units, window=64)
    assert sum(t in units for t in out) == 5 or len(out) == 64 - 2  # only phonetic units count; the window holds
    assert len(generate(model, vocab, "[Speech]", units, [], 100, window=10)) == 10 - 2


def test_expressive_interleaving_keeps_pitch_and_style_inside_their_words():
    s = sentence("the cat sat on a mat")
    assert s.base().speech() == "".join(f"[Hu{10 * k}][Hu{10 * k + 1}]" for k in range(6))
    for seed in range(20):
        text = interleaved(s, random.Random(seed), longest_span=2)
        for body in re.findall(r"\[Speech\]((?:(?!\[Text\]).)*)", text):
            units = [int(u) for u in re.findall(r"\[Hu(\d+)\]", body)]
            assert 99 not in units and units  # no pause frame; never empty
        assert re.sub(r"\[(Pi|St)\d+\]", "", text) == interleaved(s.base(), random.Random(seed), longest_span=2)
    full = s.speech()
    assert full.startswith("[St5][Pi1][Hu0]") and "[Pi2]" in full  # merged by time, ties: style, pitch, phonetic
    assert s.speech(1, 2).startswith("[St5][Pi")  # a segment opens with the style and pitch in force


@needs_espeak
def test_real_utterances_open_with_their_style_and_pitch_on_the_frame_grid():
    from codeloop.speech.dataset import encode, speaker
    from codeloop.speech.synth import PAUSE_S, TRAIN_VOICES, VOICES, synthesize
    from codeloop.speech.tokenizer import SpeechTokenizer, f0_track
    utterance = synthesize(["the", "old", "man", "walked", "to", "the", "house"], TRAIN_VOICES[0])
    assert utterance.words[0][1] == pytest.approx(PAUSE_S)  # speech starts after the pause, not at frame 0
    f0 = f0_track(utterance.audio)
    assert len(f0) == int(utterance.seconds * 12.5) + 1 and f0[0] == 0 and (f0 > 0).mean() > 0.5
    tokenizer = SpeechTokenizer.fit([utterance.audio], 8, speakers=[speaker(TRAIN_VOICES[0])], styles=2)
    spoken = encode(utterance, VOICES.index(TRAIN_VOICES[0]), "neutral", tokenizer)
    assert spoken.sentence.speech().startswith("[St") and spoken.sentence.speech(2, 3).startswith("[St")
    for k in range(len(spoken.sentence.words)):  # each word's segment opens with a style, then a pitch
        assert re.match(r"\[St\d+\]\[Pi\d+\](\[Pi\d+\])*\[Hu", spoken.sentence.speech(k, k + 1))


def test_probe_pairs_differ_only_where_they_should():
    rng = random.Random(0)
    known = {"cat", "cot", "cut", "cit"}
    sounds = {"cat": ("k", "a", "t"), "cet": ("k", "E", "t"), "cot": ("k", "0", "t")}
    assert probes.nonword("cat", known, rng, sounds.get) == "cet"
    assert probes.nonword("cat", known | {"cet"}, rng, sounds.get) is None
    assert probes.nonword("cat", {"cat"}, rng, lambda w: ("k", "a", "t")) is None  # sounds the same: no pair
    assert probes.nonword("cat", {"cat"}, rng, lambda w: tuple(w) if w == "cat" else ("k",)) is None  # shorter
    words = tuple(["the", "old", "cat", "sat", "on", "the", "mat"])
    for seed in range(20):
        changed = probes.swapped(words, random.Random(seed))
        diff = [i for i in range(len(words)) if words[i] != changed[i]]
        assert sorted(changed) == sorted(words) and len(diff) == 2 and diff[1] == diff[0] + 1 and diff[0] >= 1
    assert probes.swapped(("a", "b", "b"), rng) is None
    prompt, true, false = (Spoken(sentence(words, offset), 0, "neutral")
                           for words, offset in (("the cat sat", 0), ("on a mat", 5), ("on the mat", 7)))
    item = probes.ClozeItem(prompt, true, false)
    for direction in probes.DIRECTIONS:
        pairs = probes.cloze_pairs(item, direction, expressive=False)
        assert pairs[0][0] == pairs[2][0] and pairs[1][0] == pairs[3][0]  # one prompt, one bare context
        assert pairs[0][1] == pairs[1][1] and pairs[2][1] == pairs[3][1] and pairs[0][1] != pairs[2][1]
        kind = direction.split("->")[0]
        assert pairs[0][0].startswith("[Text]" if kind == "T" else "[Speech]")
    assert probes.cloze_pairs(item, "T->T", False)[0] == ("[Text]the cat sat", " on a mat")
    assert probes.cloze_pairs(item, "T->T", False)[2][1] == " on the mat"
    assert probes.cloze_pairs(item, "S->S", False)[0] == ("[Speech]" + prompt.sentence.base().speech(),
                                                          true.sentence.base().speech())
    assert probes.cloze_pairs(item, "T->S", False)[2][1] == "[Speech]" + false.sentence.base().speech()
    assert probes.cloze_pairs(item, "S->T", False)[1] == ("", "[Text] on a mat")
    assert probes.error_rate(["a", "b", "c"], ["a", "c"]) == 0.5 and probes.edit_distance([], [1, 2]) == 2


def test_the_vocoder_writes_a_readable_wav_of_the_stated_length(tmp_path):
    np = pytest.importorskip("numpy")
    soundfile = pytest.importorskip("soundfile")
    pytest.importorskip("librosa")
    from codeloop.speech.vocoder import Vocoder, write_wav
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.1, 22050).astype(np.float32)
    frames = [i // 5 % 4 for i in range(1 + 22050 // 882)]
    vocoder = Vocoder.fit([audio], [frames], units=6)
    assert vocoder.durations[0] == 5 and vocoder.durations[5] == 1.0  # unit 5 never seen: the mean spectrum
    sound = vocoder("[Speech][Hu0][Hu1][Hu2]")
    seconds = write_wav(tmp_path / "x.wav", sound)
    data, rate = soundfile.read(tmp_path / "x.wav")
    assert rate == 22050 and len(data) == len(sound) and seconds == pytest.approx(len(data) / 22050)
    assert seconds == pytest.approx(3 * 5 / 25, abs=0.1)
    with pytest.raises(ValueError, match=r"\[Hu6\]: not a unit of this vocoder \(it has 6\)"):
        vocoder("[Hu1][Hu6]")
    vocoder.save(tmp_path / "v.npz")
    assert (Vocoder.load(tmp_path / "v.npz").templates == vocoder.templates).all()


@needs_espeak
def test_a_tiny_run_trains_every_arm_and_scores_every_probe(tmp_path):
    pytest.importorskip("sklearn")
    import subprocess
    import sys

    import soundfile

    from codeloop.speech.evaluation import run
    from codeloop.speech.experiment import SpiritConfig
    from codeloop.speech.report import table, write_page
    settings = dict(out=str(tmp_path), sentences=40, test=16, units=20, styles=3, fit_sentences=20, dim=32,
                    n_layers=1, n_heads=2, seq_len=64, batch_size=4, text_steps=4, arm_steps=4, few_shot=3,
                    style_items=3)
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "spiritlm.py"
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in settings.items()]
    done = subprocess.run([sys.executable, str(script), *flags, "--no-progress"], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])["rows"]  # strict JSON: no NaN
    assert (tmp_path / "index.html").read_text().count("<audio") >= 6
    models = [row["model"] for row in rows]
    assert models == ["chance", "real speech", "untrained", "text LM", "text_continued", "interleaved",
                      "no_interleaving", "pairs", "expressive", "interleaved - no_interleaving", "interleaved - pairs",
                      "interleaved - text_continued", "expressive - interleaved"]
    by_model = {row["model"]: row["probes"] for row in rows}
    expressive = by_model["expressive"]
    assert set(expressive) == {"sWUGGY", "sBLIMP", "tBLIMP", *probes.DIRECTIONS, "ASR WER", "TTS UER", "style"}
    assert all(0 <= expressive[p]["mean"] <= 1 for p in probes.DIRECTIONS)
    low, high = expressive["T->S"]["ci"]
    assert low <= expressive["T->S"]["mean"] <= high and expressive["style"]["n"] == 3  # sentences, not items
    assert "style" not in by_model["interleaved"] and by_model["chance"]["ASR WER"]["mean"] == 1.0
    difference = by_model["interleaved - no_interleaving"]["T->S"]
    assert difference["mean"] == pytest.approx(by_model["interleaved"]["T->S"]["mean"]
                                               - by_model["no_interleaving"]["T->S"]["mean"], abs=1e-3)
    assert "interleaved" in table(rows) and "expressive - interleaved" in done.stdout
    again = run(SpiritConfig(**settings), progress=False)  # resumed: every store, checkpoint and result kept
    assert again == rows
    with pytest.raises(ValueError, match=r"run.json: made with --units 20 \(this run: 30\); use another --out"):
        run(SpiritConfig(**{**settings, "units": 30}), progress=False)
    page = write_page(SpiritConfig(**settings), rows)
    players = page.read_text().count("<audio")
    assert 3 * 2 <= players <= 3 * 6 and len(list((tmp_path / "audio").glob("*.wav"))) == players
    assert (tmp_path / "probes.svg").read_text().startswith("<svg")

    codeloop = [sys.executable, "-m", "codeloop", "speech", "generate", "--run", str(tmp_path)]
    words = " ".join(json.loads((tmp_path / "test.jsonl").read_text().splitlines()[0])["sentence"]["words"])
    done = subprocess.run([*codeloop, "--text", words, "--out", str(tmp_path / "t.wav")], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data, rate = soundfile.read(tmp_path / "t.wav")
    assert rate == 22050 and f"{len(data) / rate:.2f} s of audio" in done.stdout
    done = subprocess.run([*codeloop, "--units", "[Hu1][Hu2][Hu1]", "--out", str(tmp_path / "u.wav")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "from 3 phonetic units" in done.stdout, done.stderr

    def fails(*flags: str) -> str:
        done = subprocess.run([*codeloop, *flags, "--out", str(tmp_path / "x.wav")], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        return done.stderr.strip()

    assert fails("--text", "the qzx") == "codeloop speech: error: --text: words outside the run's vocabulary: ['qzx']"
    assert fails("--units", "[Pi3][St1]") == "codeloop speech: error: --units: no phonetic units ([HuN]) in it"
    (tmp_path / "interleaved" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    assert fails("--text", words).endswith("interleaved/checkpoint.pt: not a speech LM checkpoint (UnpicklingError)")
    (tmp_path / "vocoder.npz").write_bytes(b"not a zip")
    assert fails("--units", "[Hu1]").endswith("vocoder.npz: not a readable .npz of arrays (ValueError)")
    (tmp_path / "few_shot.jsonl").write_text('{"sentence": {"words": ["x"], "spans": [["a", "b"]]}}\n')
    from codeloop.speech.dataset import load
    with pytest.raises(ValueError, match=r"few_shot.jsonl:1: not a spoken sentence"):
        load(tmp_path / "few_shot.jsonl")
