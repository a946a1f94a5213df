"""RLEF's claim in miniature (Gehring et al., arXiv 2410.02089): RL on the multi-turn environment
teaches a model to use execution feedback, and the gain vanishes when the feedback is random.

Task family: "complete ``def f(x)``: return x plus a secret constant", the constant K in 0..9
drawn per task. The prompt does not say K; the public test ``f(0) == K`` is not shown either, so
a first answer is a guess (1 in 10), and only a failing test's feedback ("Expected output 'K' but
got ...") tells K. Hidden tests check f at three other points.

Model: a 2-block Llama (transformers) with a byte-level BPE tokenizer (digits split) trained
here on the family's texts; "pretrained and fine-tuned on single-turn solutions": supervised on
(first prompt, a solution with a random K) only, so it has never seen feedback. Then codeloop's
PPO trainer (``codeloop.rl.train``) on 3-turn episodes, with real feedback, and with random
feedback (each feedback message replaced by one another episode got).

Reported on held-out tasks, per seed and as a mean with a 95% bootstrap interval over tasks x
seeds: pass@1 (one sample, one turn), 3 independent samples (any of three one-turn samples: the
no-feedback baseline with the same budget) and 1@3 (one 3-turn episode with feedback), before RL,
after RL with real feedback, after RL with random feedback. Sampling at temperature 1 throughout.
Curves of the mean return and the training 1@3 per step go to ``OUT/curves.svg``.

    python benchmarks/rlef_miniature.py [--quick] [--seeds 3] [--steps 120] [--out runs/rlef-miniature]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import torch

from codeloop.eval.report import line_chart
from codeloop.judge import Judge, expr_test, script_test
from codeloop.llm import SamplingParams
from codeloop.llm.hf import TransformersModel
from codeloop.loop import LoopConfig, first_prompt, run_episode
from codeloop.metrics import bootstrap_ci
from codeloop.rl.config import RLConfig
from codeloop.rl.env import chat_render
from codeloop.rl.train import Trainer
from codeloop.sandbox import Sandbox
from codeloop.tasks import Task, TaskKind

TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")
STARTER = 'def f(x):\n    """Return x plus the secret constant."""\n'


def make_task(name: str, constant: int) -> Task:
    hidden = "\n".join(f"assert f({x}) == {x + constant}" for x in (1, 5, -2))
    return Task(id=name, prompt="Return x plus the secret constant.", kind=TaskKind.FUNCTION, entry_point="f",
                starter_code=STARTER, public_tests=[expr_test("f(0)", str(constant))],
                private_tests=[script_test(hidden)])


def solution(constant: int) -> str:
    return f"```python\ndef f(x):\n    return x + {constant}\n```"


def build_model(folder: Path, seed: int, dim: int) -> None:
    """The tokenizer (trained on the family's texts, digits one token each) and a random model."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    torch.manual_seed(seed)
    texts = [first_prompt(make_task("t", k)) + solution(k) for k in range(10)]
    texts += [f"Your code failed the following tests:\n- input 'f(0)' failed: Expected output '{k}' but got "
              f"'{j}'\nGive it another try. Your answer did not contain a Python code block." for k in range(10)
              for j in range(10)]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                       pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tokenizer.decoder = decoders.ByteLevel()
    specials = ["<|eos|>", "<|user|>", "<|assistant|>", "<|end|>"]
    tokenizer.train_from_iterator(texts * 5, trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                                                 initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|end|>", pad_token="<|eos|>")
    wrapped.chat_template = TEMPLATE
    config = LlamaConfig(vocab_size=len(wrapped), hidden_size=dim, intermediate_size=2 * dim, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         eos_token_id=wrapped.convert_tokens_to_ids("<|end|>"))
    LlamaForCausalLM(config).save_pretrained(folder)
    wrapped.save_pretrained(folder)


def supervise(folder: Path, seed: int, steps: int) -> None:
    """Fine-tune on single-turn solutions: (first prompt, a solution with a random K), loss on the reply."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    model, tokenizer = AutoModelForCausalLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    render, rng = chat_render(tokenizer), random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        losses = []
        for _ in range(16):
            constant = rng.randrange(10)
            prompt = [{"role": "user", "content": first_prompt(make_task("t", constant))}]
            before = render(prompt, True)
            ids = render([*prompt, {"role": "assistant", "content": solution(constant)}], False)
            labels = [-100] * len(before) + ids[len(before):]
            output = model(torch.tensor([ids]), labels=torch.tensor([labels]))
            losses.append(output.loss)
        optimizer.zero_grad()
        torch.stack(losses).mean().backward()
        optimizer.step()
    model.save_pretrained(folder)


def evaluate(model: object, tokenizer: object, tasks: list[Task], judge: Judge, seed: int) -> dict[str, list[float]]:
    """Per held-out task: pass@1, any of 3 independent one-turn samples, 1@3 with feedback."""
    policy = TransformersModel.from_loaded(model, tokenizer)
    model.eval()
    params = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=24, seed=seed)
    one_turn, three_turns = LoopConfig(turns=1, params=params), LoopConfig(turns=3, params=params)
    scores: dict[str, list[float]] = {"pass@1": [], "3 samples": [], "1@3": []}
    for index, task in enumerate(tasks):
        singles = [run_episode(task, policy, judge, one_turn, sample=3 * index + s).passed for s in range(3)]
        scores["pass@1"].append(float(singles[0]))
        scores["3 samples"].append(float(any(singles)))
        scores["1@3"].append(float(run_episode(task, policy, judge, three_turns, sample=index).passed))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 40 steps, 20 held-out tasks (under 10 min)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=120, help="PPO steps per run")
    parser.add_argument("--held-out", type=int, default=50, help="held-out tasks")
    parser.add_argument("--sft-steps", type=int, default=150, help="supervised steps on single-turn solutions")
    parser.add_argument("--out", default="runs/rlef-miniature")
    parser.add_argument("--plot-only", action="store_true", help="redraw OUT/curves.svg from OUT's metrics")
    args = parser.parse_args()
    if args.plot_only:
        plot(Path(args.out))
        return
    if args.quick:
        args.seeds, args.steps, args.held_out = 1, 40, 20
    torch.set_num_threads(1)  # the other core runs the programs
    out, started = Path(args.out), time.perf_counter()
    results: dict[str, dict[str, list[float]]] = {}
    with Sandbox(workers=1) as sandbox:
        judge = Judge(sandbox)
        for seed in range(args.seeds):
            rng = random.Random(1000 + seed)
            train = [make_task(f"train/{i}", rng.randrange(10)) for i in range(64)]
            held_out = [make_task(f"held-out/{i}", rng.randrange(10)) for i in range(args.held_out)]
            base = out / f"seed{seed}" / "model"
            base.mkdir(parents=True, exist_ok=True)
            build_model(base, seed, dim=64)
            supervise(base, seed, steps=args.sft_steps)
            from transformers import AutoModelForCausalLM, AutoTokenizer
            tokenizer = AutoTokenizer.from_pretrained(base)
            before = evaluate(AutoModelForCausalLM.from_pretrained(base), tokenizer, held_out, judge, seed)
            for key, values in before.items():
                results.setdefault(f"before RL|{key}", {}).setdefault("values", []).extend(values)
            for condition, random_feedback in (("real feedback", False), ("random feedback", True)):
                config = RLConfig(model=f"hf:{base}", out=str(out / f"seed{seed}" / condition.replace(' ', '-')),
                                  steps=args.steps, episodes_per_step=32, turns=3, temperature=1.0, top_p=1.0,
                                  max_tokens=24, lr=1e-3, value_lr=1e-2, kl_beta=0.01, random_feedback=random_feedback,
                                  checkpoint_every=args.steps, seed=seed)
                trainer = Trainer(config, train, judge, AutoModelForCausalLM.from_pretrained(base), tokenizer)
                trainer.train(progress=True)
                after = evaluate(trainer.model, tokenizer, held_out, judge, seed)
                for key, values in after.items():
                    results.setdefault(f"after RL, {condition}|{key}", {}).setdefault("values", []).extend(values)
    rows = []
    print(f"{args.seeds} seed(s) x {args.held_out} held-out tasks, {args.steps} PPO steps of 32 episodes; "
          f"{(time.perf_counter() - started) / 60:.1f} min")
    print("| model | pass@1 | 3 independent samples | 1@3 with feedback |")
    print("|---|---|---|---|")
    for model_name in ("before RL", "after RL, real feedback", "after RL, random feedback"):
        cells = []
        for key in ("pass@1", "3 samples", "1@3"):
            values = results[f"{model_name}|{key}"]["values"]
            low, high = bootstrap_ci(values)
            cells.append(f"{statistics.mean(values):.2f} [{low:.2f}, {high:.2f}]")
            rows.append({"model": model_name, "metric": key, "mean": statistics.mean(values), "ci95": [low, high]})
        print(f"| {model_name} | " + " | ".join(cells) + " |")
    (out / "results.json").write_text(json.dumps(rows, indent=1))
    plot(out)


def plot(out: Path, window: int = 10) -> None:
    """``OUT/curves.svg``: the training 1@3 and the mean return per step, each the mean over
    seeds of ``window``-step averages, per condition."""
    series: dict[str, dict[str, list[tuple[float, float]]]] = {"final_pass": {}, "mean_return": {}}
    for condition in ("real feedback", "random feedback"):
        runs = [[json.loads(line) for line in path.read_text().splitlines()]
                for path in sorted(out.glob(f"seed*/{condition.replace(' ', '-')}/metrics.jsonl"))]
        if not runs:
            continue
        steps = min(len(run) for run in runs)
        for key in series:
            series[key][condition] = [
                (start + window, statistics.mean(entry[key] for run in runs for entry in run[start:start + window]))
                for start in range(0, steps - window + 1, window)]
    charts = [line_chart(series["final_pass"], "PPO step", "training 1@3", (0.0, 0.5), standalone=True, log_x=False),
              line_chart(series["mean_return"], "PPO step", "mean return", (-1.4, 0.2), standalone=True, log_x=False)]
    inner = "".join(f'<g transform="translate({460 * index} 0)">{chart}</g>' for index, chart in enumerate(charts))
    (out / "curves.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="920" height="240">{inner}</svg>')
    print(f"curves: {out / 'curves.svg'}; table: {out / 'results.json'}")


if __name__ == "__main__":
    main()
