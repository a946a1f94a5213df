"""Per language: compile time, cached-compile time, and the per-run overhead of codeloop's
sandboxed run against running the same compiled program directly with ``subprocess``.

The program reads two integers and prints their sum. The direct baseline runs exactly what the
sandbox runs (the artefacts the sandbox's compile left, written to a folder; the same command
line: ``./main``, ``java ... Main``, ``node main.js``, ``python3 solution.py``), with no isolation
at all. Both are timed in interleaved rounds in this process; medians are compared. Prints the
table and, last, the worst overhead ratio.

    python benchmarks/languages.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codeloop.sandbox import LANGUAGES, Limits, Run, Sandbox
from codeloop.sandbox.build import BASE_ENV, file_name, fill
from codeloop.sandbox.languages import missing_tools, source_stem

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from language_programs import PROGRAMS

LIMITS = Limits(cpu_s=5, memory_mb=512)
STDIN = "2 3\n"


def direct_command(lang_name: str, source: str, folder: Path) -> list[str]:
    lang = LANGUAGES[lang_name]
    name = file_name(lang, source)
    (folder / name).write_text(source)
    if lang_name == "python":
        return [sys.executable, "-S", name]  # as the sandbox's python: no site-packages
    return fill(lang.run, name, source_stem(lang, source), LIMITS.memory_mb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each, interleaved")
    args = parser.parse_args()
    rows = []
    with Sandbox(workers=1) as sandbox:
        for lang_name, lang in LANGUAGES.items():
            if missing_tools(lang):
                print(f"{lang_name}: skipped, missing {', '.join(missing_tools(lang))}")
                continue
            source = PROGRAMS[lang_name]["right"]
            compile_s = cached_s = 0.0
            with tempfile.TemporaryDirectory() as scratch:
                folder = Path(scratch)
                if lang.compile is not None:
                    start = time.perf_counter()
                    build = sandbox.build(source, lang)
                    compile_s = time.perf_counter() - start
                    start = time.perf_counter()
                    sandbox.build(source, lang)
                    cached_s = time.perf_counter() - start
                    for name, data, mode in build.artefacts:
                        (folder / name).write_bytes(data)
                        os.chmod(folder / name, mode)
                command = direct_command(lang_name, source, folder)
                env = {**BASE_ENV, **lang.env, "HOME": scratch, "TMPDIR": scratch}
                request = Run(source, stdin=STDIN, limits=LIMITS, language=lang_name)
                sandbox.execute(request)  # warm-up
                ours, theirs = [], []
                for index in range(args.runs):
                    for which in (("ours", "theirs") if index % 2 == 0 else ("theirs", "ours")):
                        start = time.perf_counter()
                        if which == "ours":
                            output = sandbox.execute(request).stdout
                        else:
                            output = subprocess.run(command, input=STDIN, capture_output=True, text=True,
                                                    cwd=folder, env=env).stdout
                        (ours if which == "ours" else theirs).append(time.perf_counter() - start)
                        assert output == "5\n", (lang_name, which, output)
            rows.append((lang_name, compile_s, cached_s, statistics.median(ours), statistics.median(theirs)))
    print(f"{'language':8s} {'compile s':>9s} {'cached ms':>9s} {'codeloop run ms':>15s} "
          f"{'subprocess ms':>13s} {'overhead':>8s}")
    for name, compile_s, cached_s, ours, theirs in rows:
        print(f"{name:8s} {compile_s:9.2f} {cached_s * 1e3:9.3f} {ours * 1e3:15.1f} {theirs * 1e3:13.1f} "
              f"{ours / theirs:7.2f}x")
    worst = max(rows, key=lambda row: row[3] / row[4])
    print(f"worst overhead: {worst[3] / worst[4]:.2f}x ({worst[0]}; codeloop's run against a bare subprocess, "
          f"median of {args.runs})")


if __name__ == "__main__":
    main()
