"""``codeloop report RUN_DIR``: one static HTML page, no network needed to view it.

Summary table, pass@k and n@k against the sampling budget, solve rate per turn (inline SVG),
and a trajectory browser: pick a task, read each episode's dialogue with code, verdicts and
feedback. The page's data is embedded as JSON and rendered by a small script.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from pathlib import Path

from codeloop.eval.store import RunStore
from codeloop.eval.summary import budget_curves, summarize_run
from codeloop.loop import Episode

WIDTH, HEIGHT, PAD = 460, 240, 40
COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"]


def line_chart(series: dict[str, list[tuple[float, float]]], x_label: str, y_label: str,
               y_range: tuple[float, float] = (0.0, 1.0), standalone: bool = False, log_x: bool | None = None) -> str:
    """An SVG line chart of ``series`` (y within ``y_range``); x on a log scale when it spans > 10x.
    ``standalone``: a whole SVG file, its legend inside (else the legend is HTML after the SVG)."""
    import math
    points = [p for values in series.values() for p in values]
    if not points:
        return "<p>not enough data for this plot</p>"
    xs = [x for x, _ in points]
    log = max(xs) / max(min(xs), 1e-9) > 10 if log_x is None else log_x
    lo, hi = (math.log10(min(xs)), math.log10(max(xs))) if log else (min(xs), max(xs))
    span = (hi - lo) or 1.0

    def sx(x: float) -> float:
        value = math.log10(x) if log else x
        return PAD + (value - lo) / span * (WIDTH - 2 * PAD)

    def sy(y: float) -> float:
        return HEIGHT - PAD - (y - y_range[0]) / (y_range[1] - y_range[0]) * (HEIGHT - 2 * PAD)

    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    parts = [f'<svg class="chart"{namespace} viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             'role="img">',
             f'<line x1="{PAD}" y1="{sy(y_range[0])}" x2="{WIDTH - PAD}" y2="{sy(y_range[0])}" stroke="#888"/>',
             f'<line x1="{PAD}" y1="{sy(y_range[0])}" x2="{PAD}" y2="{sy(y_range[1])}" stroke="#888"/>']
    for step in range(5):
        tick = y_range[0] + step * (y_range[1] - y_range[0]) / 4
        parts.append(f'<text x="{PAD - 6}" y="{sy(tick) + 4}" text-anchor="end" font-size="10">{tick:.2f}</text>')
    labels = sorted(set(xs))
    for x in labels[::-(-len(labels) // 7)]:  # at most 7 labels
        parts.append(f'<text x="{sx(x)}" y="{HEIGHT - PAD + 14}" text-anchor="middle" font-size="10">{x:g}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11">'
                 f'{html.escape(x_label)}{" (log)" if log else ""}</text>')
    parts.append(f'<text x="12" y="{HEIGHT / 2}" font-size="11" transform="rotate(-90 12 {HEIGHT / 2})" '
                 f'text-anchor="middle">{html.escape(y_label)}</text>')
    for index, (name, values) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        values = sorted(values)
        path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(values))
        parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}"><title>{html.escape(name)} '
                  f'{x:g}: {y:.3f}</title></circle>' for x, y in values]
    if standalone:
        parts += [f'<text x="{PAD + 8}" y="{PAD - 22 + 12 * i}" font-size="10" fill="{COLORS[i % len(COLORS)]}">'
                  f'&#9632; {html.escape(name)}</text>' for i, name in enumerate(series)]
        return "".join(parts) + "</svg>"
    parts.append("</svg><div class='legend'>")
    parts += [f'<span style="color:{COLORS[i % len(COLORS)]}">&#9632; {html.escape(name)}</span> '
              for i, name in enumerate(series)]
    parts.append("</div>")
    return "".join(parts)


def natural_key(task_id: str) -> list:
    """HumanEval/2 before HumanEval/10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", task_id)]


def page_data(config: dict, episodes: list[Episode]) -> dict:
    tasks: dict[str, list[dict]] = defaultdict(list)
    for episode in sorted(episodes, key=lambda e: (natural_key(e.task_id), e.sample)):
        tasks[episode.task_id].append({"sample": episode.sample, "passed": episode.passed,
                                       "turns": [t.to_dict() for t in episode.turns]})
    return {"config": config, "tasks": tasks}


ASSETS = Path(__file__).with_name("assets")





def render(config: dict, episodes: list[Episode]) -> str:
    turns = int(config.get("turns", 1))
    summary = summarize_run(episodes, turns)
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v))}</td></tr>"
                   for k, v in {**config, **summary}.items())
    per_turn = {"solved by turn t": [(t, summary.get(f"solved_by_turn_{t}", 0.0)) for t in range(1, turns + 1)]}
    data = json.dumps(page_data(config, episodes)).replace("</", "<\\/")
    title = f"codeloop run: {config.get('benchmark')} · {config.get('model')}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{(ASSETS / "report.css").read_text()}</style></head>
<body><header><h1>{html.escape(title)}</h1></header>
<div class="row"><div><h2>Summary</h2><table class="summary">{rows}</table></div>
<div><h2>Solve rate against sampling budget</h2>{line_chart(budget_curves(episodes, turns), "budget k", "solve rate")}
<h2>Solve rate per turn</h2>{line_chart(per_turn, "turn", "solved")}</div></div>
<h2 style="padding: 0 20px">Trajectories</h2>
<div id="browser"><ul id="task-list"></ul><div id="trajectory"></div></div>
<script type="application/json" id="run-data">{data}</script>
<script>{(ASSETS / "report.js").read_text()}</script></body></html>
"""


def write_report(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    if not (run_dir / "run.sqlite").is_file():
        raise FileNotFoundError(f"{run_dir}: no run.sqlite here (is it a `codeloop eval --out` directory?)")
    with RunStore(run_dir) as store:
        config, episodes = store.config() or {}, store.episodes()
    out = run_dir / "report.html"
    out.write_text(render(config, episodes))
    return out
