"""Seconds per SWE-bench instance in codeloop's Docker-free harness, on the four fixture
repositories: with a cold environment cache (image unpacked, venv or node_modules built) and with
it warm, gold predictions, one instance at a time. Prints a table and, last, one JSON line.

    python benchmarks/swe_harness.py [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from codeloop.swe.harness.fixtures import build_fixtures
from codeloop.swe.harness.instances import load_instances, load_predictions
from codeloop.swe.harness.runner import EvalSettings, evaluate


def du_mb(path: Path) -> float:
    out = subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True).stdout.split()
    return float(out[0]) if out else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", help="a folder for fixtures, cache and logs (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(args.work or scratch)
        start = time.monotonic()
        fixtures = build_fixtures(work / "fixtures")
        build_s = time.monotonic() - start
        instances = load_instances(fixtures.instances)
        gold = load_predictions(fixtures.predictions["gold"])
        cache = work / "cache"
        runs = {}
        for name in ("cold", "cached"):
            settings = EvalSettings(repos=fixtures.repos, out=work / f"out-{name}", cache=cache)
            runs[name], summary = evaluate(instances, gold, settings)
            assert summary["resolved_instances"] == len(gold), summary
        rows = []
        for repo in sorted({i.repo for i in instances}):
            ids = [i.instance_id for i in instances if i.repo == repo]
            cold = [r for r in runs["cold"] if r.instance_id in ids]
            cached = [r for r in runs["cached"] if r.instance_id in ids]
            rows.append({"repo": repo, "environment": cold[0].env_kind, "instances": len(ids),
                         "cold_first_s": round(cold[0].seconds, 2), "env_build_s": round(cold[0].env_seconds, 2),
                         "cached_s": round(statistics.mean(r.seconds for r in cached), 2),
                         "tests_s": round(statistics.mean(r.test_seconds for r in cached), 2)})
        sizes = {path.name: du_mb(path) for path in sorted((cache / "envs").iterdir()) if path.is_dir()}
        sizes.update({f"image {path.name}": du_mb(path) for path in sorted((cache / "images").iterdir())
                      if path.is_dir()})
    print(f"fixtures built in {build_s:.1f} s (git mirrors and the Debian OCI image)")
    print(f"{'repository':32} {'environment':11} {'cold (1st) s':>12} {'env build s':>11} {'cached s':>9} "
          f"{'tests s':>8}")
    for row in rows:
        print(f"{row['repo']:32} {row['environment']:11} {row['cold_first_s']:12.2f} {row['env_build_s']:11.2f} "
              f"{row['cached_s']:9.2f} {row['tests_s']:8.2f}")
    print("cache sizes (MB):", ", ".join(f"{name} {size:.0f}" for name, size in sizes.items()))
    print(json.dumps({"fixtures_build_s": round(build_s, 1), "per_repository": rows, "cache_mb": sizes}))


if __name__ == "__main__":
    main()
