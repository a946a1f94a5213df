"""Every probe for every model of a SpiRit-LM miniature run, with chance and paired differences.

``run`` prepares the data and trains (``experiment``), then scores the untrained model, the text
LM and each arm on every probe (``probes``): a row per model holds each probe's mean, its 95%
percentile bootstrap interval over items (``metrics.bootstrap_ci``) and its item count. Per-item
values are kept in ``OUT/results.jsonl``, so a model already scored under the same settings is
not scored again, and the paired differences (``COMPARISONS``: two models on the same items, the
bootstrap over the items' differences) cost nothing more.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from codeloop.metrics import bootstrap_ci
from codeloop.speech import probes
from codeloop.speech.dataset import Spoken
from codeloop.speech.experiment import ARMS, Data, SpiritConfig, prepare, train_all
from codeloop.speech.interleave import text_only
from codeloop.speech.lm import load, new_model
from codeloop.speech.synth import STYLES
from codeloop.speech.tokenizer import PITCH_BINS

# (a, b): the row "a - b", each probe's difference item by item (the paper's ablation first)
COMPARISONS = (("interleaved", "no_interleaving"), ("interleaved", "pairs"), ("interleaved", "text_continued"),
               ("expressive", "interleaved"))


def evaluate(model, data: Data, expressive: bool, classifier: probes.StyleClassifier | None,
             window: int) -> dict[str, list[float]]:
    """Every probe's per-item values for one model (``window``: its training sequence length)."""
    vocabulary = data.vocabulary

    def spoken(item: Spoken) -> str:
        return probes.SPEECH + probes.speech(item.sentence, expressive)

    values = {
        "sWUGGY": probes.preference(model, vocabulary, [(spoken(w), spoken(n)) for w, n in data.swuggy]),
        "sBLIMP": probes.preference(model, vocabulary, [(spoken(a), spoken(b)) for a, b in data.blimp]),
        "tBLIMP": probes.preference(model, vocabulary, [(text_only(a.sentence), text_only(b.sentence))
                                                       for a, b in data.blimp]),
    }
    for direction in probes.DIRECTIONS:
        values[direction] = probes.cloze(model, vocabulary, data.cloze, direction, expressive)
    values["ASR WER"] = probes.asr(model, vocabulary, data.few_shot, expressive, window)
    values["TTS UER"] = probes.tts(model, vocabulary, data.few_shot, expressive, window)
    if classifier is not None:
        values["style"] = probes.style(model, vocabulary, data.styles, classifier)
    return values


def style_classifier(config: SpiritConfig, data: Data) -> probes.StyleClassifier:
    """Fit on the second halves of training sentences, labelled by the style they were said in."""
    halves = [s.sentence.speech(len(s.sentence.words) // 2) for s in data.train]
    return probes.StyleClassifier(PITCH_BINS, config.styles).fit(halves, [s.style for s in data.train])


def scored(results: Path, settings: dict) -> list[dict]:
    """The rows ``OUT/results.jsonl`` holds for these settings."""
    if not results.exists():
        return []
    rows = []
    for number, line in enumerate(results.read_text().splitlines(), 1):
        try:
            row = json.loads(line)
            if row["config"] == settings:
                rows.append({"model": row["model"], "values": dict(row["values"])})
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{results}:{number}: not a results row; move the file away to score again") from None
    return rows


def run(config: SpiritConfig, progress: bool = True) -> list[dict]:
    """The table's rows: chance and the real-speech ceiling, every model, then ``COMPARISONS``."""
    data = prepare(config, progress)
    checkpoints = train_all(config, data, progress)
    classifier = style_classifier(config, data)
    results = Path(config.out) / "results.jsonl"
    settings = {k: v for k, v in asdict(config).items() if k not in ("out", "jobs", "arms")}
    done = {row["model"]: row["values"] for row in scored(results, settings)}
    for name, checkpoint in {"untrained": None, **checkpoints}.items():
        if name in done:
            continue
        if checkpoint is None:
            model = new_model(data.vocabulary, config.dim, config.n_layers, config.n_heads, seed=config.seed).eval()
        else:
            model = load(checkpoint)[0]
        expressive = ARMS.get(name, (False,))[0]
        done[name] = evaluate(model, data, expressive, classifier if expressive or name == "untrained" else None,
                              config.seq_len)
        with open(results, "a") as handle:
            handle.write(json.dumps({"model": name, "config": settings, "values": done[name]}) + "\n")
    models = ["untrained", *checkpoints]
    rows = reference_rows(data, classifier) + [{"model": name, "probes": summarise(done[name])} for name in models]
    for a, b in COMPARISONS:
        if a in checkpoints and b in checkpoints:
            differences = {probe: [x - y for x, y in zip(done[a][probe], done[b][probe], strict=True)]
                           for probe in done[a] if probe in done[b]}
            rows.append({"model": f"{a} - {b}", "probes": summarise(differences)})
    return rows


def summarise(values: dict[str, list[float]]) -> dict[str, dict]:
    def rounded(x: float | None) -> float | None:
        return None if x is None or x != x else round(x, 4)  # NaN (no items): None, for strict JSON

    return {probe: {"mean": rounded(sum(v) / len(v)) if v else None, "ci": [rounded(x) for x in bootstrap_ci(v)],
                    "n": len(v)} for probe, v in values.items()}


def reference_rows(data: Data, classifier: probes.StyleClassifier) -> list[dict]:
    """Chance: 0.5 for the paired probes, a third for the style probe, and for ASR and TTS an empty
    output (error rate 1: no output at all beats any wrong one); and the style classifier on the
    real second halves, the probe's ceiling."""
    chance = {**{probe: [0.5] for probe in ("sWUGGY", "sBLIMP", "tBLIMP", *probes.DIRECTIONS)},
              "ASR WER": [1.0], "TTS UER": [1.0], "style": [1 / len(STYLES)]}
    real = classifier.predict([s.sentence.speech(len(s.sentence.words) // 2) for s in data.styles])
    hits: dict[tuple[str, ...], list[float]] = {}
    for guess, spoken in zip(real, data.styles, strict=True):
        hits.setdefault(spoken.sentence.words, []).append(float(guess == spoken.style))
    return [{"model": "chance", "probes": summarise(chance)},
            {"model": "real speech", "probes": summarise({"style": [sum(h) / len(h) for h in hits.values()]})}]
