"""The SpiRit-LM miniature (arXiv 2402.05755): every probe for every arm, with the untrained and
text-only baselines and 95% bootstrap intervals (``codeloop.speech.experiment``).

Columns: sWUGGY and sBLIMP (spoken word vs non-word, spoken minimal pairs), tBLIMP (the same
pairs in text), StoryCloze-like accuracy in four directions (T->T, S->S, T->S, S->T), few-shot
ASR word error rate and TTS unit error rate (lower is better), and the Expressive style probe.
The run writes its stores, checkpoints, a results page with audio (``OUT/index.html``) and
``OUT/results.jsonl``; it resumes where it stopped. The last line is one JSON object.

    python benchmarks/spiritlm.py [--quick] [--out runs/spiritlm] [any SpiritConfig flag]
"""

from __future__ import annotations

import argparse
import json
import time

from codeloop.settings import add_flags, from_args
from codeloop.speech.evaluation import run
from codeloop.speech.experiment import QUICK, SpiritConfig
from codeloop.speech.report import table, write_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_flags(parser, SpiritConfig)
    parser.add_argument("--quick", action="store_true",
                        help=f"a small run: {', '.join(f'{k} {v}' for k, v in QUICK.items())}")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args()
    args.parser = parser
    config = from_args(args, SpiritConfig, **(QUICK if args.quick else {}))
    started = time.perf_counter()
    rows = run(config, progress=not args.no_progress)
    minutes = (time.perf_counter() - started) / 60
    print(table(rows))
    page = write_page(config, rows)
    print(f"{minutes:.1f} min; results page: {page}")
    print(json.dumps({"benchmark": "spiritlm", "quick": args.quick, "minutes": round(minutes, 1),
                      "rows": [{"model": row["model"], "probes": row["probes"]} for row in rows]}))


if __name__ == "__main__":
    main()
