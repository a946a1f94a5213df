"""The SpiRit-LM miniature's table, and a results page with audio to listen to.

``table`` prints every model's probes as "mean [low, high]" (95% bootstrap intervals; ASR and
TTS are error rates, lower is better). ``write_page`` writes ``OUT/index.html``: the table, then
a chart of the paired probes (``OUT/probes.svg``), then for a few held-out sentences
espeak-ng's own audio, the vocoder on its real units, and each arm's
few-shot TTS output through the same vocoder (``OUT/audio/*.wav``).
"""

from __future__ import annotations

import html
from pathlib import Path

from codeloop.speech.experiment import ARMS, SpiritConfig, prepare
from codeloop.speech.lm import load
from codeloop.speech.probes import phonetic, tts_units
from codeloop.speech.synth import VOICES, styled, synthesize
from codeloop.speech.units import SPEECH
from codeloop.speech.vocoder import Vocoder, write_wav

SAMPLES = 3


def probe_names(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(probe for row in rows for probe in row["probes"]))


def cell(result: dict | None) -> str:
    if not result or result["mean"] is None:
        return "-"
    if result["n"] == 1:
        return f"{result['mean']:.2f}"
    low, high = result["ci"]
    return f"{result['mean']:.2f} [{low:.2f}, {high:.2f}]"


def table(rows: list[dict]) -> str:
    names = probe_names(rows)
    lines = [[row["model"]] + [cell(row["probes"].get(name)) for name in names] for row in rows]
    widths = [max(len(x) for x in column) for column in zip(["model", *names], *lines, strict=True)]
    header = ["model", *names]
    return "\n".join("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)) for line in [header, *lines])


COLOURS = ("#999999", "#555555", "#8c564b", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
CHART_PROBES = ("sWUGGY", "sBLIMP", "tBLIMP", "T->T", "S->S", "T->S", "S->T")


def chart(rows: list[dict]) -> str:
    """An SVG of the paired probes' accuracies, a bar per model with its interval, chance dashed."""
    models = [row for row in rows if " - " not in row["model"] and row["probes"].get("T->S", {}).get("n", 0) > 1]
    width, height, left, top, plot_h = 760, 300, 40, 20, 220
    group = (width - left - 130) / len(CHART_PROBES)
    bar = group * 0.8 / max(1, len(models))

    def y(value: float) -> float:
        return top + plot_h * (1 - value)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="11">',
             f'<line x1="{left}" x2="{width - 130}" y1="{y(0.5)}" y2="{y(0.5)}" stroke="#000" stroke-dasharray="4"/>']
    for value in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4}" text-anchor="end">{value:g}</text>')
    for g, probe in enumerate(CHART_PROBES):
        x0 = left + g * group + group * 0.1
        parts.append(f'<text x="{x0 + group * 0.4}" y="{top + plot_h + 16}" text-anchor="middle">'
                     f'{html.escape(probe)}</text>')
        for m, row in enumerate(models):
            result = row["probes"][probe]
            if result["mean"] is None:
                continue
            x, colour = x0 + m * bar, COLOURS[m % len(COLOURS)]
            low, high = result["ci"]
            parts.append(f'<rect x="{x:.1f}" y="{y(result["mean"]):.1f}" width="{bar - 1:.1f}" '
                         f'height="{plot_h * result["mean"]:.1f}" fill="{colour}"/>')
            parts.append(f'<line x1="{x + bar / 2:.1f}" x2="{x + bar / 2:.1f}" y1="{y(low):.1f}" y2="{y(high):.1f}" '
                         f'stroke="#000"/>')
    for m, row in enumerate(models):
        parts.append(f'<rect x="{width - 120}" y="{top + 16 * m}" width="10" height="10" '
                     f'fill="{COLOURS[m % len(COLOURS)]}"/><text x="{width - 105}" y="{top + 16 * m + 9}">'
                     f'{html.escape(row["model"])}</text>')
    return "".join(parts) + "</svg>"


def write_page(config: SpiritConfig, rows: list[dict]) -> Path:
    out = Path(config.out)
    data = prepare(config, progress=False)
    vocoder = Vocoder.load(out / "vocoder.npz")
    names = probe_names(rows)
    parts = ["<!doctype html><meta charset=utf-8><title>SpiRit-LM miniature</title>",
             "<h1>SpiRit-LM miniature (arXiv 2402.05755)</h1>",
             "<p>Mean [95% bootstrap interval]; ASR WER and TTS UER are error rates (lower is better); a row "
             "a - b is the difference of two models on the same items.</p>",
             "<table border=1 cellpadding=4><tr><th>model</th>"
             + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"]
    for row in rows:
        parts.append("<tr><td>" + html.escape(row["model"]) + "</td>"
                     + "".join(f"<td>{cell(row['probes'].get(n))}</td>" for n in names) + "</tr>")
    (out / "probes.svg").write_text(chart(rows))
    parts.append("</table><p><img src='probes.svg' alt='accuracy of each model on the paired probes'></p>"
                 "<h2>Listen</h2>")
    arms = [arm for arm in config.arm_names() if ARMS[arm][1] != ("text",) and (out / arm / "checkpoint.pt").exists()]
    models = {arm: load(out / arm / "checkpoint.pt")[0] for arm in arms}
    for k, item in enumerate(data.few_shot[:SAMPLES]):
        reference = item.reference
        sound = {"espeak-ng": synthesize(list(reference.sentence.words),
                                         styled(VOICES[reference.voice], reference.style)).audio,
                 "vocoder, real units": vocoder(SPEECH + reference.sentence.base().speech())}
        for arm, model in models.items():
            units = tts_units(model, data.vocabulary, item.shots, reference.sentence.words, ARMS[arm][0],
                              config.seq_len)
            if phonetic(units):
                sound[f"{arm}, TTS"] = vocoder(units)
        parts.append(f"<h3>{html.escape(' '.join(reference.sentence.words))}</h3><table>")
        for label, audio in sound.items():
            name = f"audio/{k}-{label.split(',')[0].replace(' ', '_')}{'-tts' if 'TTS' in label else ''}.wav"
            seconds = write_wav(out / name, audio)
            parts.append(f"<tr><td>{html.escape(label)} ({seconds:.1f} s)</td>"
                         f"<td><audio controls src='{name}'></audio></td></tr>")
        parts.append("</table>")
    page = out / "index.html"
    page.write_text("\n".join(parts) + "\n")
    return page
