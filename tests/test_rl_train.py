"""codeloop's PPO trainer on the RLEF environment, with a tiny random transformers model: steps,
metrics, checkpoints and resume, LoRA, the random-feedback ablation, the command line."""

import json

import pytest

pytest.importorskip("transformers")
pytest.importorskip("peft")

from codeloop.judge import Judge
from codeloop.rl.trainer_config import RLConfig
from test_rl_trl import TASK, tiny_model


def trainer_for(tmp_path, judge, **settings):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codeloop.rl.trainer import Trainer
    if not (tmp_path / "model").exists():
        tiny_model(tmp_path / "model")
    config = RLConfig(model=f"hf:{tmp_path / 'model'}", out=str(tmp_path / "run"), episodes_per_step=2, turns=2,
                      max_tokens=12, lr=1e-2, checkpoint_every=1, **settings)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "model")
    return Trainer(config, [TASK], judge, model, AutoTokenizer.from_pretrained(tmp_path / "model"))


def test_steps_metrics_checkpoint_and_resume(sandbox, tmp_path):
    import torch
    judge = Judge(sandbox)
    trainer = trainer_for(tmp_path, judge, steps=2)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    history = trainer.train(progress=False)
    assert [m["step"] for m in history] == [1, 2]
    assert all(m["mean_return"] == pytest.approx(-1.4) and m["kl"] >= 0 for m in history)  # no code: -0.2, -0.2, -1
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters(), strict=True))
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [1, 2]
    resumed = trainer_for(tmp_path, judge, steps=3)
    assert resumed.step_index == 2
    for mine, saved in zip(resumed.model.parameters(), trainer.model.parameters(), strict=True):
        assert torch.allclose(mine, saved)
    assert [m["step"] for m in resumed.train(progress=False)] == [3]


def test_lora_and_random_feedback(sandbox, tmp_path):
    trainer = trainer_for(tmp_path, Judge(sandbox), steps=2, lora_rank=4, random_feedback=True)
    trainer.step()
    pool = set(trainer.feedback_pool)
    assert pool and all(text.startswith("Could not parse") or "did not contain" in text or "failed" in text
                        for text in pool)
    config = trainer.loop_config(__import__("random").Random(0))
    assert config.feedback_override(TASK, "the real feedback") in pool
    trainer.step()
    assert trainer.step_index == 2


def test_batched_play_generates_the_episodes_together(sandbox, tmp_path, monkeypatch):
    from codeloop.llm.batching import Batcher
    sizes = []
    original = Batcher._run
    monkeypatch.setattr(Batcher, "_run", lambda self, waiting: (sizes.append(len(waiting)), original(self, waiting)))
    trainer = trainer_for(tmp_path, Judge(sandbox), steps=1, batch=2)
    metrics = trainer.step()
    assert metrics["episodes"] == 2 and metrics["mean_return"] == pytest.approx(-1.4)
    assert sizes[0] == 2 and sum(sizes) == 4  # both episodes' first replies in one generate call


def test_rl_train_command_line(tmp_path):
    import subprocess
    import sys
    tiny_model(tmp_path / "model")
    (tmp_path / "rl.toml").write_text(f'model = "hf:{tmp_path / "model"}"\nsteps = 1\nepisodes_per_step = 1\n'
                                      'max_tokens = 8\nturns = 1\nlimit = 2\n')
    done = subprocess.run([sys.executable, "-m", "codeloop", "rl", "train", "--config", str(tmp_path / "rl.toml"),
                           "--out", str(tmp_path / "run"), "--no-progress"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "1 steps; metrics in" in done.stdout and (tmp_path / "run" / "checkpoint" / "state.pt").exists()
    missing = subprocess.run([sys.executable, "-m", "codeloop", "rl", "train"], capture_output=True, text=True)
    assert missing.returncode == 2 and "--model is required" in missing.stderr
    zero = subprocess.run([sys.executable, "-m", "codeloop", "rl", "train", "--model", "default", "--batch", "0"],
                          capture_output=True, text=True)
    assert zero.returncode == 2 and "--batch must be >= 1" in zero.stderr


@pytest.mark.slow
def test_the_pretrained_rlef_benchmark_quick_mode(tmp_path):
    """benchmarks/rlef_pretrained.py --quick on the embedded SmolLM2-135M: both arms train, all three
    are evaluated, the table, the curves and the three policies are written, the last line is JSON."""
    from codeloop.llm.embedded import ModelMissingError, verified_model_path
    try:
        verified_model_path("smollm2-135m")
    except ModelMissingError:
        pytest.skip("the embedded model is not installed (codeloop model install smollm2-135m)")
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "rlef_pretrained.py"
    done = subprocess.run([sys.executable, str(script), "--quick", "--no-progress", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["benchmark"] == "rlef_pretrained" and len(summary["table"]) == 6
    assert {row["arm"] for row in summary["table"]} == {"before RL", "RL, real feedback", "RL, random feedback"}
    assert all(0 <= row["1@3"]["mean"] <= 1 for row in summary["table"])
    assert "| RL, random feedback | held-out families |" in done.stdout
    assert (tmp_path / "curves.svg").read_text().startswith("<svg")
    for arm in ("before", "real", "random"):
        assert (tmp_path / "policies" / arm / "config.json").exists()
        assert (tmp_path / "policies" / arm / "tokenizer_config.json").exists()
    steps = [json.loads(line) for line in (tmp_path / "seed0" / "real" / "metrics.jsonl").read_text().splitlines()]
    assert [step["step"] for step in steps] == list(range(1, summary["steps"] + 1))
    # a saved policy is a model any codeloop command takes: codeloop eval on a user's CodeContests file
    from test_tasks import CODE_CONTESTS_RECORD
    data = tmp_path / "contests.jsonl"
    data.write_text(json.dumps(CODE_CONTESTS_RECORD) + "\n")
    policy = f"hf:{tmp_path / 'policies' / 'real'}"
    evaluated = subprocess.run([sys.executable, "-m", "codeloop", "eval", "--model", policy,
                                "--benchmark", "code_contests", "--data-path", str(data), "--turns", "3",
                                "--max-tokens", "32", "--no-progress", "--out", str(tmp_path / "eval")],
                               capture_output=True, text=True, timeout=600)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    assert (tmp_path / "eval" / "run.sqlite").exists()


@pytest.mark.slow
def test_the_embedded_gguf_loads_as_a_trainable_savable_policy(tmp_path):
    """The 0.5B GGUF into transformers: float weights, a checkpoint that reloads to the same weights."""
    from codeloop.llm.embedded import ModelMissingError, verified_model_path
    try:
        verified_model_path("default")
    except ModelMissingError:
        pytest.skip("the embedded model is not installed (codeloop model install)")
    import torch
    from transformers import AutoModelForCausalLM

    from codeloop.rl.trainer import load_policy
    model, tokenizer = load_policy("default", "cpu")
    assert type(model).__name__ == "Qwen2ForCausalLM" and all(p.is_floating_point() for p in model.parameters())
    model.save_pretrained(tmp_path / "policy")
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "policy")
    name, weight = next(iter(model.state_dict().items()))
    assert torch.equal(saved.state_dict()[name], weight)
    assert tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False).startswith("<|im_start|>")


def test_the_at_scale_benchmark_runs_on_a_tiny_model(tmp_path):
    """benchmarks/rlef_at_scale.py, shrunk: evaluate on 2 tasks of each benchmark, 2 PPO steps, evaluate again."""
    import subprocess
    import sys
    from pathlib import Path
    tiny_model(tmp_path / "model")
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "rlef_at_scale.py"
    done = subprocess.run([sys.executable, str(script), "--model", f"hf:{tmp_path / 'model'}", "--device", "cpu",
                           "--limit", "2", "--steps", "2", "--episodes-per-step", "2", "--max-tokens", "8",
                           "--batch", "4", "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["rl"]["steps"] == 2 and set(results["after"]) == {"humaneval", "mbpp"}
    assert all(r["tasks"] == 2 for r in results["before"].values())
    assert "| after RL |" in done.stdout and (tmp_path / "run" / "rl" / "checkpoint" / "policy").exists()


def test_the_at_scale_benchmark_with_steps_0_only_evaluates(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    tiny_model(tmp_path / "model")
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "rlef_at_scale.py"
    done = subprocess.run([sys.executable, str(script), "--model", f"hf:{tmp_path / 'model'}", "--device", "cpu",
                           "--limit", "2", "--steps", "0", "--max-tokens", "8", "--batch", "4", "--benchmarks", "mbpp",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["before"]["mbpp"]["tasks"] == 2 and "rl" not in results and "after" not in results
    assert "| before RL |" in done.stdout and not (tmp_path / "run" / "rl").exists()


def three_block_model(tmp_path):
    """The tiny tokenizer with a random 3-block Llama."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM
    tiny_model(tmp_path / "model")
    config = AutoModelForCausalLM.from_pretrained(tmp_path / "model").config
    config.num_hidden_layers = 3
    LlamaForCausalLM(LlamaConfig(**config.to_dict())).save_pretrained(tmp_path / "model")
    return AutoModelForCausalLM.from_pretrained(tmp_path / "model"), AutoTokenizer.from_pretrained(tmp_path / "model")


def test_the_split_forward_is_the_models_forward(tmp_path):
    """trunk + head + logprobs at the chosen positions == the model's own logits, at every split."""
    import torch

    from codeloop.rl import forward
    from codeloop.rl.ppo import token_logprobs
    model, _ = three_block_model(tmp_path)
    ids = torch.randint(0, model.config.vocab_size, (1, 40))
    where = torch.rand(39) < 0.4
    with torch.no_grad():
        expected = token_logprobs(model(ids).logits, ids)[0]
        for split in range(4):
            last = forward.head(model, forward.trunk(model, ids, split), split)
            got = forward.logprobs(model, last, ids, where)
            assert torch.allclose(got[where], expected[where], atol=1e-5), split
            assert not got[~where].any()


def test_train_layers_trains_only_the_top_blocks(sandbox, tmp_path):
    from dataclasses import replace

    import torch

    from codeloop.rl.trainer import Trainer
    model, tokenizer = three_block_model(tmp_path)
    config = RLConfig(model="hf:unused", out=str(tmp_path / "run"), episodes_per_step=2, turns=2, max_tokens=12,
                      lr=1e-2, steps=1, train_layers=1)
    trainer = Trainer(config, [TASK], Judge(sandbox), model, tokenizer)
    assert trainer.split == 2
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    trainer.step()
    changed = {name for name, p in model.named_parameters() if not torch.equal(before[name], p)}
    assert changed and all(name.startswith(("model.layers.2.", "model.norm.")) for name in changed)
    assert not any(name.startswith("model.layers.2.") for name, _ in trainer.reference.named_parameters()
                   if not torch.equal(before[name], dict(trainer.reference.named_parameters())[name]))
    with pytest.raises(ValueError, match="--train-layers must be >= 0"):
        RLConfig(model="x", train_layers=-1)
    model, tokenizer = three_block_model(tmp_path)  # train_layers 0: every weight, the input embeddings too
    embeddings = model.get_input_embeddings().weight.detach().clone()
    Trainer(replace(config, train_layers=0, out=str(tmp_path / "all")), [TASK], Judge(sandbox), model,
            tokenizer).step()
    assert not torch.equal(embeddings, model.get_input_embeddings().weight)


def test_stop_after_code_ends_replies_at_the_closed_block():
    from codeloop.llm.hf import _closes_block
    assert _closes_block("```python\ndef f(x):\n    return x\n```")
    assert _closes_block("Here:\n```\nprint(1)\n```\nmore")
    assert not _closes_block("```python\ndef f(x):\n")
    assert not _closes_block("no code yet ``")


def test_decode_matches_generate_greedily_and_drops_finished_rows(tmp_path):
    """codeloop.llm.decode against transformers' generate: the same greedy replies for prompts of
    different lengths (left padding, positions), rows leaving the batch, seeded sampling repeatable."""
    import torch

    from codeloop.llm.decode import decode
    model, _ = three_block_model(tmp_path)
    model.eval()
    prompts = [[5, 9, 13, 2, 7], [11, 3], [4, 4, 8, 30, 12, 19, 21, 6]]
    width = max(map(len, prompts))
    ids = torch.tensor([[0] * (width - len(p)) + p for p in prompts])
    mask = (torch.arange(width) >= torch.tensor([width - len(p) for p in prompts]).unsqueeze(-1)).long()
    with torch.no_grad():
        expected = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=10, do_sample=False,
                                  pad_token_id=0, eos_token_id=None)[:, width:].tolist()
    assert decode(model, prompts, 0, 10, 0.0, 1.0, None, lambda row, reply: False) == expected
    lengths = {0: 3, 1: 10, 2: 6}  # rows 0 and 2 finish early; row 1 goes on alone and must not change
    short = decode(model, prompts, 0, 10, 0.0, 1.0, None, lambda row, reply: len(reply) == lengths[row])
    assert short == [expected[0][:3], expected[1], expected[2][:6]]
    sampled = decode(model, prompts, 0, 8, 1.0, 0.9, 7, lambda row, reply: False)
    assert sampled == decode(model, prompts, 0, 8, 1.0, 0.9, 7, lambda row, reply: False)
    assert all(len(reply) == 8 for reply in sampled)
