"""RLEF on a pretrained policy (Gehring et al., arXiv 2410.02089): does PPO on multi-turn episodes
teach SmolLM2-135M-Instruct to use execution feedback, and does the gain vanish when the feedback
is random (the paper's ablation, section 4.3)?

Tasks: ``codeloop.tasks.feedback_families``: each hides a value (a constant, a factor, a word, a
table, a threshold) that only a failing public test's feedback names. Training tasks come from the
training families; evaluation is on held-out tasks of those families ("trained families") and on
the held-out families (other surfaces and answer types), drawn apart per seed.

Arms, from the same start (the embedded ``smollm2-135m`` GGUF loaded into transformers): before RL;
``codeloop.rl.trainer``'s PPO with real feedback; the same with random feedback (each feedback
message replaced by one another episode got). Each arm is evaluated with real feedback, sampling
(``--temperature``), replies ending at their first closed code block, on:

- pass@1: one one-turn sample; 3 samples: any of three independent one-turn samples (the same
  budget as three turns, without feedback); 1@3: one 3-turn episode with feedback;
- feedback use: of the 3-turn episodes whose first program ran and gave a wrong answer (WA), with
  feedback that names the value, the share whose second program contains it (``uses_feedback``).

Means over tasks x seeds with 95% bootstrap intervals; ``OUT/curves.svg``: the training 1@3 and
mean return per PPO step, both arms (mean over seeds). Seed 0's three policies are saved as
transformers folders ``OUT/policies/{before,real,random}`` (``codeloop eval --model
hf:OUT/policies/real ...``). The last line printed is one JSON object holding the table. A run
resumes: finished trainings and evaluations are read back from ``OUT``.

    python benchmarks/rlef_pretrained.py [--quick] [--seeds 3] [--steps 40] [--out runs/rlef-pretrained]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from codeloop.eval.report import line_chart
from codeloop.judge import Judge
from codeloop.llm import SamplingParams
from codeloop.llm.hf import TransformersModel
from codeloop.loop import LoopConfig, run_episode
from codeloop.metrics import bootstrap_ci
from codeloop.rl.trainer import Trainer, load_policy
from codeloop.rl.trainer_config import RLConfig
from codeloop.sandbox import Sandbox
from codeloop.tasks import Task
from codeloop.tasks.feedback_families import HELD_OUT_FAMILIES, TRAIN_FAMILIES, make_tasks, names, uses_feedback

ARMS = {"before": "before RL", "real": "RL, real feedback", "random": "RL, random feedback"}
SETS = {"trained": "held-out tasks, trained families", "held_out": "held-out families"}
METRICS = ("pass@1", "3 samples", "1@3", "feedback use")


def evaluate(model: torch.nn.Module, tokenizer: object, tasks: list[Task], judge: Judge, args: argparse.Namespace,
             seed: int) -> dict[str, list[float]]:
    """Per task: pass@1, any of 3 one-turn samples, 1@3; feedback use per eligible episode."""
    model.eval()
    policy = TransformersModel.from_loaded(model, tokenizer, max_batch=4 * len(tasks), stop_after_code=True)
    params = SamplingParams(args.temperature, args.top_p, args.max_tokens, seed=10_000 + seed)
    one, three = LoopConfig(turns=1, params=params), LoopConfig(turns=3, params=params)
    jobs = [(task, one, 3 * index + s) for index, task in enumerate(tasks) for s in range(3)]
    jobs += [(task, three, index) for index, task in enumerate(tasks)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        episodes = list(pool.map(lambda job: run_episode(job[0], policy, judge, job[1], job[2]), jobs))
    singles, multi = episodes[:3 * len(tasks)], episodes[3 * len(tasks):]
    scores: dict[str, list[float]] = {metric: [] for metric in METRICS}
    for index, (task, episode) in enumerate(zip(tasks, multi, strict=True)):
        samples = [e.passed for e in singles[3 * index:3 * index + 3]]
        scores["pass@1"].append(float(samples[0]))
        scores["3 samples"].append(float(any(samples)))
        scores["1@3"].append(float(episode.passed))
        first = episode.turns[0]
        # eligible: the first program ran and gave a wrong answer, and the feedback names the value
        # (not a traceback that happens to hold the same digits)
        if first.public_verdict == "WA" and names(task, first.feedback) and len(episode.turns) > 1:
            scores["feedback use"].append(float(uses_feedback(task, episode.turns[1].program)))
    return scores


def run_seed(seed: int, base: torch.nn.Module, tokenizer: object, judge: Judge, args: argparse.Namespace) -> dict:
    """Train both arms and evaluate all three on this seed's held-out sets (read back if done)."""
    folder = args.out / f"seed{seed}"
    train = make_tasks(TRAIN_FAMILIES, args.train_per_family, seed, "train")
    held = {"trained": make_tasks(TRAIN_FAMILIES, args.eval_per_family, seed, "test"),
            "held_out": make_tasks(HELD_OUT_FAMILIES, args.eval_per_family, seed, "test")}
    results = {}
    for arm in ARMS:
        done = folder / arm / "eval.json"
        if done.exists():
            results[arm] = json.loads(done.read_text())
            continue
        model = base
        if arm != "before":
            config = RLConfig(model=args.model, out=str(folder / arm), steps=args.steps,
                              episodes_per_step=args.episodes, batch=args.episodes, turns=3,
                              temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens,
                              lr=args.lr, kl_beta=args.kl_beta, train_layers=args.train_layers,
                              lora_rank=args.lora_rank, random_feedback=arm == "random",
                              checkpoint_every=args.steps, seed=seed, device=args.device)
            trainer = Trainer(config, train, judge, copy.deepcopy(base), tokenizer)
            trainer.train(progress=not args.no_progress)
            model = trainer.model.merge_and_unload() if args.lora_rank else trainer.model
        if seed == 0:
            model.save_pretrained(args.out / "policies" / arm)
            tokenizer.save_pretrained(args.out / "policies" / arm)
        results[arm] = {name: evaluate(model, tokenizer, tasks, judge, args, seed) for name, tasks in held.items()}
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(json.dumps(results[arm]))
        print(f"seed {seed}, {ARMS[arm]}: " + ", ".join(
            f"{name} {metric} {statistics.mean(values):.2f}" for name, scores in results[arm].items()
            for metric, values in scores.items() if values and metric in ("1@3", "feedback use")), flush=True)
    return results


def table(per_seed: list[dict]) -> list[dict]:
    rows = []
    for arm, arm_name in ARMS.items():
        for name in SETS:
            row = {"arm": arm_name, "tasks": SETS[name]}
            for metric in METRICS:
                values = [v for results in per_seed for v in results[arm][name][metric]]
                low, high = bootstrap_ci(values) if values else (float("nan"), float("nan"))
                row[metric] = {"mean": round(statistics.mean(values), 3) if values else None, "n": len(values),
                               "ci95": [round(low, 3), round(high, 3)]}
            rows.append(row)
    return rows


def plot(out: Path, window: int) -> None:
    """``OUT/curves.svg``: training 1@3 and mean return per step, ``window``-step means over seeds."""
    series: dict[str, dict[str, list[tuple[float, float]]]] = {"final_pass": {}, "mean_return": {}}
    for arm in ("real", "random"):
        runs = [[json.loads(line) for line in path.read_text().splitlines()]
                for path in sorted(out.glob(f"seed*/{arm}/metrics.jsonl"))]
        if not runs:
            continue
        steps = min(len(run) for run in runs)
        for key in series:
            series[key][ARMS[arm]] = [
                (start + window, statistics.mean(entry[key] for run in runs for entry in run[start:start + window]))
                for start in range(0, steps - window + 1, window)]
    charts = [line_chart(series["final_pass"], "PPO step", "training 1@3", (0.0, 1.0), standalone=True, log_x=False),
              line_chart(series["mean_return"], "PPO step", "mean return", (-1.6, 1.0), standalone=True, log_x=False)]
    inner = "".join(f'<g transform="translate({460 * index} 0)">{chart}</g>' for index, chart in enumerate(charts))
    (out / "curves.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="920" height="240">{inner}</svg>')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the mechanics only: 1 seed, 2 steps of 2 episodes, "
                        "1 held-out task per family, 24-token replies (about 4 minutes)")
    parser.add_argument("--model", default="smollm2-135m", help="the policy (default: smollm2-135m; on a GPU, "
                        "default: the 0.5B)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40, help="PPO steps per arm (default: 40)")
    parser.add_argument("--episodes", type=int, default=32, help="episodes per step, played at once (default: 32)")
    parser.add_argument("--train-per-family", type=int, default=64, help="training tasks per family (default: 64)")
    parser.add_argument("--eval-per-family", type=int, default=20, help="held-out tasks per family (default: 20)")
    parser.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default: 0.7)")
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per reply (default: 64)")
    parser.add_argument("--lr", type=float, default=2e-5, help="policy learning rate (default: 2e-5)")
    parser.add_argument("--kl-beta", type=float, default=0.02)
    parser.add_argument("--train-layers", type=int, default=8, help="top blocks trained (default: 8 of 30)")
    parser.add_argument("--lora-rank", type=int, default=0, help="LoRA rank instead of full weights (default: 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads on the CPU (default: 2)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--out", type=Path, default=Path("runs/rlef-pretrained"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.steps, args.episodes, args.eval_per_family, args.max_tokens = 1, 2, 2, 1, 24
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    base, tokenizer = load_policy(args.model, args.device)
    with Sandbox(workers=1) as sandbox:
        judge = Judge(sandbox)
        per_seed = [run_seed(seed, base, tokenizer, judge, args) for seed in range(args.seeds)]
    rows = table(per_seed)
    plot(args.out, window=max(1, args.steps // 10))
    minutes = (time.perf_counter() - started) / 60
    print(f"{args.seeds} seed(s); {args.steps} PPO steps of {args.episodes} episodes per arm; "
          f"{args.eval_per_family} held-out tasks per family; {minutes:.1f} min")
    print("| arm | tasks | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for row in rows:
        print(f"| {row['arm']} | {row['tasks']} | " + " | ".join(
            f"{row[m]['mean']:.2f} [{row[m]['ci95'][0]:.2f}, {row[m]['ci95'][1]:.2f}]" if row[m]["mean"] is not None
            else "-" for m in METRICS) + " |")
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    print(json.dumps({"benchmark": "rlef_pretrained", "seeds": args.seeds, "steps": args.steps,
                      "episodes": args.episodes, "minutes": round(minutes, 1), "curves": str(args.out / "curves.svg"),
                      "policies": str(args.out / "policies"), "table": rows}))


if __name__ == "__main__":
    main()
