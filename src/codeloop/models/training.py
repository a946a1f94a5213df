"""Train a (multi-token) Llama-style LM on a folder of source files, split into train and validation by file.

The checkpoint (``OUT/checkpoint.pt``) holds the model, the optimizer, the step, the data
generator's state and the tokenizer, so a run resumes where it stopped and the checkpoint alone
is enough to load the model as a backend. Validation losses go to ``OUT/metrics.jsonl``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from codeloop.models.llama import ModelArgs
from codeloop.models.mtp import MultiTokenLM
from codeloop.models.training_config import TrainConfig
from codeloop.tokenizer import CodeTokenizer, read_corpus

SEPARATOR = "<|endoftext|>"


def split_files(corpus: str | Path, val_percent: int, max_mb: float | None = None) -> tuple[list[Path], list[Path]]:
    """The ``*.py`` files under ``corpus`` (installed packages left out), split by a hash of each
    relative path, so a file is always on the same side; each side capped at its share of ``max_mb``."""
    root = Path(corpus)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: corpus folder not found")
    files = sorted(p for p in root.rglob("*.py") if p.is_file() and "site-packages" not in p.parts)
    if not files:
        raise FileNotFoundError(f"{root}: no .py files")
    ordered = sorted(files, key=lambda p: hashlib.sha1(str(p.relative_to(root)).encode()).hexdigest())
    train, val, sizes = [], [], {"train": 0, "val": 0}
    budget = {"train": (max_mb or float("inf")) * 1e6, "val": (max_mb or float("inf")) * 1e6 * val_percent / 100}
    for path in ordered:
        bucket = int(hashlib.sha1(str(path.relative_to(root)).encode()).hexdigest(), 16) % 100
        side = "val" if bucket < val_percent else "train"
        if sizes[side] < budget[side]:
            (val if side == "val" else train).append(path)
            sizes[side] += path.stat().st_size
    return train, val


def token_stream(tokenizer: CodeTokenizer, files: list[Path]) -> torch.Tensor:
    separator = tokenizer.special_tokens.get(SEPARATOR)
    ids: list[int] = []
    for encoded in tokenizer.encode_batch(list(read_corpus(files))):
        ids += encoded + ([separator] if separator is not None else [])
    return torch.tensor(ids, dtype=torch.long)


def batch(stream: torch.Tensor, size: int, length: int, generator: torch.Generator) -> torch.Tensor:
    starts = torch.randint(0, len(stream) - length, (size,), generator=generator)
    return torch.stack([stream[s:s + length] for s in starts.tolist()])


def learning_rate(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return config.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, progress))))


def autocast(config: TrainConfig) -> contextlib.AbstractContextManager:
    """bfloat16 mixed precision on a GPU; full precision on the CPU."""
    if config.device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(model: MultiTokenLM, stream: torch.Tensor, config: TrainConfig) -> list[float]:
    """Mean validation loss of each head, on fixed batches."""
    model.eval()
    generator = torch.Generator().manual_seed(1234)
    totals = [0.0] * model.n_future
    for _ in range(config.eval_batches):
        tokens = batch(stream, config.batch_size, config.seq_len, generator).to(config.device)
        with autocast(config):
            trunk_out = model.trunk_forward(tokens)
            for head in range(model.n_future):
                totals[head] += model.head_loss(head, trunk_out, tokens).item() / config.eval_batches
    model.train()
    return totals


def save_checkpoint(path: Path, **state: object) -> None:
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def load_model(checkpoint: str | Path) -> tuple[MultiTokenLM, CodeTokenizer]:
    """A trained model (eval mode) and its tokenizer, from a checkpoint file."""
    import tempfile
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise FileNotFoundError(f"{checkpoint}: no such checkpoint")
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    model = MultiTokenLM(ModelArgs(**state["model_args"]), state["n_future"])
    model.load_state_dict(state["model"])
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        handle.write(state["tokenizer"])
        handle.flush()
        tokenizer = CodeTokenizer.load(handle.name)
    return model.eval(), tokenizer


def load_data(config: TrainConfig) -> tuple[CodeTokenizer, torch.Tensor, torch.Tensor, int, int]:
    """The run's tokenizer, its train and validation token streams, and how many files each holds."""
    tokenizer = CodeTokenizer.load(config.tokenizer)
    train_files, val_files = split_files(config.corpus, config.val_percent, config.max_mb)
    return (tokenizer, token_stream(tokenizer, train_files), token_stream(tokenizer, val_files), len(train_files),
            len(val_files))


def resume(checkpoint: Path, config: TrainConfig, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
           generator: torch.Generator) -> int:
    """The step a run continues from: 0, or the checkpoint's, whose state is loaded (the same settings
    required, the number of steps and the device aside)."""
    if not checkpoint.exists():
        return 0
    state = torch.load(checkpoint, map_location=config.device, weights_only=False)
    same = {"steps": state["train_config"]["steps"], "device": state["train_config"].get("device", "cpu")}
    if state["train_config"] != asdict(config) | same:
        raise ValueError(f"{checkpoint}: was trained with other settings; use another --out")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    return state["step"]


def fit(config: TrainConfig, model: torch.nn.Module, name: str, streams: tuple[torch.Tensor, torch.Tensor],
        train_step: Callable[[torch.Tensor, torch.Generator], float | list[float]],
        validate: Callable[[], float | list[float]], progress: bool = True, **saved: object) -> dict:
    """The loop ``train lm`` and ``train dfm`` share: AdamW, warm-up and cosine learning rate, a batch
    of windows per step (``train_step`` computes the loss and its gradients, returning the loss),
    gradients clipped at 1, validation (``validate``) to ``OUT/metrics.jsonl`` every
    ``eval_every`` steps, checkpoints every ``checkpoint_every``, resumed from ``OUT/checkpoint.pt``.
    ``saved``: what else the checkpoint holds (the model's arguments, the tokenizer)."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.pt"
    train_stream, val_stream = streams
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=(0.9, 0.95),
                                  weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    step = resume(checkpoint, config, model, optimizer, generator)
    metrics = out / "metrics.jsonl"
    bar = tqdm(total=config.steps, initial=step, desc=name, unit="step", disable=not progress)
    model.train()
    last: dict = {}
    while step < config.steps:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        started = time.perf_counter()
        tokens = batch(train_stream, config.batch_size, config.seq_len, generator).to(config.device)
        loss = train_step(tokens, generator)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens_per_s = config.batch_size * config.seq_len / (time.perf_counter() - started)
        bar.set_postfix(loss=f"{loss[0] if isinstance(loss, list) else loss:.3f}", tok_s=f"{tokens_per_s:.0f}")
        bar.update()
        if step % config.eval_every == 0 or step == config.steps:
            last = {"step": step, "train_loss": loss, "val_loss": validate()}
            with open(metrics, "a") as handle:
                handle.write(json.dumps(last) + "\n")
        if step % config.checkpoint_every == 0 or step == config.steps:
            save_checkpoint(checkpoint, model=model.state_dict(), optimizer=optimizer.state_dict(), step=step,
                            generator=generator.get_state(), train_config=asdict(config), **saved)
    bar.close()
    return {"step": step, "train_tokens": len(train_stream), "val_tokens": len(val_stream), **last}


def train(config: TrainConfig, progress: bool = True) -> dict:
    """``codeloop train lm``: a multi-token LM (``heads`` 1: a plain one), the sequential per-head backward."""
    tokenizer, train_stream, val_stream, train_count, val_count = load_data(config)
    args = ModelArgs(dim=config.dim, n_layers=config.n_layers, n_heads=config.n_heads, n_kv_heads=config.n_kv_heads,
                     vocab_size=tokenizer.vocab_size, max_seq_len=max(512, config.seq_len))
    torch.manual_seed(config.seed)
    model = MultiTokenLM(args, config.heads).to(config.device)

    def train_step(tokens: torch.Tensor, generator: torch.Generator) -> list[float]:
        with autocast(config):
            return model.sequential_backward(tokens)

    result = fit(config, model, "train lm", (train_stream, val_stream), train_step,
                 lambda: evaluate(model, val_stream, config), progress=progress, model_args=asdict(args),
                 n_future=config.heads, tokenizer=Path(config.tokenizer).read_text())
    return {**result, "train_files": train_count, "val_files": val_count}
