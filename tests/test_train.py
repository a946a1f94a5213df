"""``codeloop train lm``: checkpoints, validation, resume; the trained model as a ``codeloop:`` backend."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytest.importorskip("torch")

from codeloop.llm import SamplingParams, load_model
from codeloop.models.training import split_files
from codeloop.tokenizer import read_corpus, train_tokenizer

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for path in sorted(STDLIB.glob("[a-d]*.py"))[:40]:
        (folder / path.name).write_text(path.read_text(encoding="utf-8", errors="replace"))
    tokenizer = train_tokenizer(list(read_corpus(sorted(folder.glob("*.py")))), 512, "gpt4")
    tokenizer.save(folder / "tok.json")
    return folder


def train_cli(corpus, out, steps):
    command = [sys.executable, "-m", "codeloop", "train", "lm", "--corpus", str(corpus), "--tokenizer",
               str(corpus / "tok.json"), "--out", str(out), "--steps", str(steps), "--heads", "3", "--dim", "32",
               "--n-layers", "2", "--n-heads", "4", "--n-kv-heads", "2", "--seq-len", "32", "--batch-size", "4",
               "--eval-every", "2", "--eval-batches", "1", "--checkpoint-every", "2", "--val-percent", "20"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_split_is_by_file_and_stable(corpus):
    train, val = split_files(corpus, 20)
    assert train and val and not set(train) & set(val)
    assert split_files(corpus, 20) == (train, val)


def test_train_checkpoint_resume_and_backend(corpus, tmp_path):
    out = tmp_path / "run"
    first = train_cli(corpus, out, 4)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.splitlines()[-1])["step"] == 4
    assert "train lm" in first.stderr  # the progress bar
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [2, 4] and len(metrics[-1]["val_loss"]) == 3
    resumed = train_cli(corpus, out, 6)  # continues from step 4
    assert resumed.returncode == 0, resumed.stderr
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [2, 4, 6]
    mismatch = subprocess.run([sys.executable, "-m", "codeloop", "train", "lm", "--corpus", str(corpus), "--tokenizer",
                               str(corpus / "tok.json"), "--out", str(out), "--dim", "64"], capture_output=True,
                              text=True)
    assert mismatch.returncode == 1 and "other settings" in mismatch.stderr

    model = load_model(f"codeloop:{out / 'checkpoint.pt'}")
    messages = [{"role": "user", "content": "def main():\n    "}]
    greedy = model.chat(messages, SamplingParams(max_tokens=12))[0]
    assert greedy.completion_tokens <= 12 and greedy.extra["tokens_per_forward"] >= 1.0
    assert model.chat(messages, SamplingParams(max_tokens=12))[0].text == greedy.text
    sampled = model.chat(messages, SamplingParams(temperature=1.0, top_p=0.9, max_tokens=8, seed=1, n=2))
    assert len(sampled) == 2


def test_cuda_without_a_gpu_is_a_one_line_error(corpus, tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = subprocess.run([sys.executable, "-m", "codeloop", "train", "lm", "--corpus", str(corpus), "--tokenizer",
                             str(corpus / "tok.json"), "--out", str(tmp_path / "run"), "--device", "cuda"],
                            capture_output=True, text=True)
    assert result.returncode == 2  # a usage error: argparse's usage, then the one error line
    assert result.stderr.strip().splitlines()[-1] == ("codeloop train lm: error: --device cuda: no CUDA device "
                                                      "on this machine (use --device cpu)")


def test_a_checkpoint_as_a_transformers_policy(corpus, tmp_path, sandbox):
    """codeloop:CHECKPOINT as transformers' Llama: the same next-token logits, then a PPO step and a saved policy."""
    pytest.importorskip("transformers")
    import torch

    from codeloop.judge import Judge, expr_test
    from codeloop.models.to_hf import to_transformers
    from codeloop.models.training import load_model as load_checkpoint
    from codeloop.rl.trainer import Trainer
    from codeloop.rl.trainer_config import RLConfig
    from codeloop.tasks import Task, TaskKind
    out = tmp_path / "run"
    assert train_cli(corpus, out, 2).returncode == 0
    model, tokenizer = load_checkpoint(out / "checkpoint.pt")
    converted, wrapped = to_transformers(out / "checkpoint.pt")
    ids = torch.tensor([tokenizer.encode("def main():\n    return 1\n")])
    with torch.no_grad():
        assert torch.allclose(converted(ids).logits, model(ids, heads=1)[0], atol=1e-5)
    assert wrapped.encode("x = 1") == tokenizer.encode("x = 1")
    task = Task(id="toy/1", prompt="Return one.", kind=TaskKind.FUNCTION, entry_point="one",
                public_tests=[expr_test("one()", "1")])
    config = RLConfig(model=f"codeloop:{out / 'checkpoint.pt'}", out=str(tmp_path / "rl"), steps=1,
                      episodes_per_step=2, turns=2, max_tokens=6, checkpoint_every=1)
    metrics = Trainer(config, [task], Judge(sandbox)).step()
    assert metrics["episodes"] == 2 and (tmp_path / "rl" / "checkpoint" / "policy" / "config.json").exists()
