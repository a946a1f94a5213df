"""codeloop's PPO trainer on the RLEF environment, with a tiny random transformers model: steps,
metrics, checkpoints and resume, LoRA, the random-feedback ablation, the command line."""

import json

import pytest

pytest.importorskip("transformers")
pytest.importorskip("peft")

from codeloop.judge import Judge
from codeloop.rl.config import RLConfig
from test_rl_trl import TASK, tiny_model


def trainer_for(tmp_path, judge, **settings):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codeloop.rl.train import Trainer
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
def test_the_miniature_benchmark_runs_end_to_end(tmp_path):
    """benchmarks/rlef_miniature.py, shrunk: build, fine-tune, PPO both ways, evaluate, table, curves."""
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "rlef_miniature.py"
    done = subprocess.run([sys.executable, str(script), "--seeds", "1", "--steps", "2", "--held-out", "3",
                           "--sft-steps", "5", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| after RL, random feedback |" in done.stdout
    rows = json.loads((tmp_path / "results.json").read_text())
    assert {row["model"] for row in rows} == {"before RL", "after RL, real feedback", "after RL, random feedback"}
    assert (tmp_path / "curves.svg").read_text().startswith("<svg")


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

    from codeloop.rl.train import load_policy
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
