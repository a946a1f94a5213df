"""Episodes per minute of ``codeloop rl train``'s PPO step, and where its time goes, before and
after: the trainer of an earlier commit (``--baseline``, default 544709b: every reply decoded by
``generate`` to its end token or ``--max-tokens``, every weight trained, a full forward for each
of pi_old, pi_ref and the update) against this checkout's, measured in one run on one machine.

Each variant is a fresh process (the baseline's from a git worktree of that commit) that loads the
embedded SmolLM2-135M-Instruct GGUF into transformers and runs ``--steps`` PPO steps of
``--episodes`` 3-turn episodes played at once, on the first MBPP training tasks (which both
commits ship), sampling at temperature 0.7; the seconds are the steps' own (``metrics.jsonl``),
not the model's loading. This checkout's variants:

- ``defaults``: replies decoded by ``codeloop.llm.decode`` (a finished row leaves the batch) and
  ended when they close their first code block (``--stop-after-code``);
- ``top N blocks``: the same, training only the top N blocks (``--train-layers N``: the backward
  pass stops there, the frozen blocks run once per episode);
- ``LoRA r16``: the defaults with rank-16 adapters on every block (lr 1e-4).

Columns: episodes per minute and its ratio to the baseline, then a step's seconds playing
(generation and judging), scoring (pi_old, pi_ref and values, no gradient) and updating (forward
and backward), where the trainer reports them, and the tokens of the step's episodes.

    python benchmarks/rlef_trainer_speed.py [--steps 1] [--episodes 16] [--layers 8] [--baseline 544709b]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVER = """
import json, sys, torch
settings = json.loads(sys.argv[1])
torch.set_num_threads(settings.pop("threads"))
from codeloop.judge import Judge
try:
    from codeloop.rl.trainer import Trainer, load_policy
    from codeloop.rl.trainer_config import RLConfig
except ImportError:  # a commit from before the modules' rename
    from codeloop.rl.config import RLConfig
    from codeloop.rl.train import Trainer, load_policy
from codeloop.sandbox import Sandbox
from codeloop.tasks import load
model, tokenizer = load_policy(settings["model"], "cpu")
tasks = load("mbpp", split="train")[:settings.pop("tasks")]
with Sandbox(workers=1) as sandbox:
    trainer = Trainer(RLConfig(**settings), tasks, Judge(sandbox), model, tokenizer)
    for _ in range(settings["steps"]):
        print("STEP " + json.dumps(trainer.step()), flush=True)
"""


def run(tree: Path, settings: dict) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(settings)], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: the trainer exited {done.returncode}:\n{done.stderr[-3000:]}")
    return [json.loads(line[5:]) for line in done.stdout.splitlines() if line.startswith("STEP ")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="544709b", help="the earlier commit (default: 544709b)")
    parser.add_argument("--steps", type=int, default=1, help="PPO steps per variant (default: 1)")
    parser.add_argument("--episodes", type=int, default=16, help="episodes per step, played at once (default: 16)")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per reply (default: 64)")
    parser.add_argument("--layers", type=int, default=8, help="N of the top-N-blocks variant (default: 8)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    args = parser.parse_args()
    from codeloop.llm.embedded import verified_model_path
    common = {"model": f"gguf:{verified_model_path('smollm2-135m')}", "steps": args.steps,
              "episodes_per_step": args.episodes, "batch": args.episodes, "max_tokens": args.max_tokens,
              "temperature": 0.7, "lr": 1e-5, "tasks": 2 * args.episodes, "threads": args.threads}
    variants = {f"{args.baseline} (before)": None, "defaults": {}, f"top {args.layers} blocks":
                {"train_layers": args.layers}, "LoRA r16": {"lora_rank": 16, "lr": 1e-4}}
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(baseline), args.baseline],
                       check=True)
        try:
            for index, (name, changes) in enumerate(variants.items()):
                settings = {**common, **(changes or {}), "out": f"{scratch}/run{index}"}
                history = run(baseline if changes is None else ROOT, settings)
                seconds = sum(step["seconds"] for step in history)
                rows[name] = {"episodes_per_min": round(60 * args.episodes * len(history) / seconds, 2),
                              **{key: round(sum(step[key] for step in history) / len(history), 1)
                                 for key in ("play_s", "score_s", "update_s", "tokens") if key in history[0]}}
                print(name, json.dumps(rows[name]), flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)
    before = rows[f"{args.baseline} (before)"]["episodes_per_min"]
    print(f"{args.episodes} episodes per step, {args.steps} step(s) per variant, MBPP train, {args.threads} threads")
    print("| trainer | episodes/min | x before | play s | score s | update s | tokens/step |")
    print("|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['episodes_per_min']} | {row['episodes_per_min'] / before:.2f} | "
              + " | ".join(str(row.get(key, "-")) for key in ("play_s", "score_s", "update_s", "tokens")) + " |")
    print(json.dumps({"benchmark": "rlef_trainer_speed", "episodes": args.episodes, "steps": args.steps,
                      "rows": rows}))


if __name__ == "__main__":
    main()
