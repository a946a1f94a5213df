"""``codeloop train dfm``: a discrete flow matching model on a folder of source files, with
``train lm``'s data pipeline (split by file, fixed-length windows), progress, validation losses in
``OUT/metrics.jsonl``, and a checkpoint (``OUT/checkpoint.pt``: model, optimizer, step, data
generator, tokenizer, path) that a run resumes from and ``load_dfm`` loads.

A step: windows ``x_1`` of the corpus, ``t ~ U[0, 1)`` per window, ``X_t`` from the mixture path,
the model's ``p_{1|t}`` logits, and the cross-entropy or the generalised-KL loss (``dfm.py``).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

import torch

from codeloop.models import dfm
from codeloop.models.dfm_model import DFMTransformer
from codeloop.models.llama import ModelArgs
from codeloop.models.training import autocast, batch, fit, load_data
from codeloop.models.training_config import DFMConfig
from codeloop.tokenizer import CodeTokenizer


def make_path(config_or_state: DFMConfig | dict, vocab_size: int) -> dfm.MixturePath:
    """The probability path a run uses (its model's last token id is the mask)."""
    get = config_or_state.get if isinstance(config_or_state, dict) else lambda k: getattr(config_or_state, k)
    scheduler = dfm.Scheduler(get("scheduler"), get("exponent"))
    return dfm.MixturePath(scheduler, vocab_size, vocab_size - 1 if get("source") == "mask" else None)


def step_loss(model: DFMTransformer, path: dfm.MixturePath, x_1: torch.Tensor, loss: str,
              generator: torch.Generator) -> torch.Tensor:
    t = torch.rand(x_1.shape[0], generator=generator) * 0.999
    x_t = path.sample(x_1.cpu(), t, generator=generator).to(x_1.device)
    logits = model(x_t, t.to(x_1.device))
    if loss == "generalized_kl":
        return dfm.generalized_kl_loss(logits.float(), x_1, x_t, t.to(x_1.device), path.scheduler)
    return dfm.cross_entropy_loss(logits.float(), x_1, x_t)


@torch.no_grad()
def evaluate(model: DFMTransformer, path: dfm.MixturePath, stream: torch.Tensor, config: DFMConfig) -> float:
    model.eval()
    generator = torch.Generator().manual_seed(1234)
    total = 0.0
    for _ in range(config.eval_batches):
        tokens = batch(stream, config.batch_size, config.seq_len, generator).to(config.device)
        with autocast(config):
            total += step_loss(model, path, tokens, config.loss, generator).item() / config.eval_batches
    model.train()
    return total


def train_dfm(config: DFMConfig, progress: bool = True) -> dict:
    if config.loss not in ("cross_entropy", "generalized_kl") or config.source not in ("mask", "uniform"):
        raise ValueError(f"--loss: cross_entropy or generalized_kl, --source: mask or uniform; got {config.loss!r}, "
                         f"{config.source!r}")
    tokenizer, train_stream, val_stream, train_count, val_count = load_data(config)
    args = ModelArgs(dim=config.dim, n_layers=config.n_layers, n_heads=config.n_heads, n_kv_heads=config.n_kv_heads,
                     vocab_size=tokenizer.vocab_size + 1, max_seq_len=max(512, config.seq_len), causal=False)
    path = make_path(config, args.vocab_size)
    torch.manual_seed(config.seed)
    model = DFMTransformer(args).to(config.device)

    def train_step(tokens: torch.Tensor, generator: torch.Generator) -> float:
        with autocast(config):
            loss = step_loss(model, path, tokens, config.loss, generator)
        loss.backward()
        return loss.item()

    result = fit(config, model, "train dfm", (train_stream, val_stream), train_step,
                 lambda: evaluate(model, path, val_stream, config), progress=progress, model_args=asdict(args),
                 tokenizer=Path(config.tokenizer).read_text())
    return {**result, "train_files": train_count, "val_files": val_count}


def load_dfm(checkpoint: str | Path) -> tuple[DFMTransformer, dfm.MixturePath, CodeTokenizer]:
    """A trained model (eval mode), its probability path and its tokenizer, from a checkpoint."""
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise FileNotFoundError(f"{checkpoint}: no such checkpoint")
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    model = DFMTransformer(ModelArgs(**state["model_args"]))
    model.load_state_dict(state["model"])
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        handle.write(state["tokenizer"])
        handle.flush()
        tokenizer = CodeTokenizer.load(handle.name)
    return model.eval(), make_path(state["train_config"], model.args.vocab_size), tokenizer


def fill(model: DFMTransformer, path: dfm.MixturePath, prefix: list[int], middle: int, suffix: list[int],
         nfe: int = 64, sampler: str = "corrector", count: int = 1, seed: int = 0) -> list[list[int]]:
    """``count`` fillings of ``middle`` tokens between ``prefix`` and ``suffix`` (both kept fixed;
    cut to fit the model's context, the prefix from its start, the suffix from its end)."""
    room = model.args.max_seq_len - middle
    if room < 0:
        raise ValueError(f"{middle} tokens to fill: more than the model's context ({model.args.max_seq_len})")
    suffix = suffix[:room // 2] if len(prefix) + len(suffix) > room else suffix
    prefix = prefix[max(0, len(prefix) - (room - len(suffix))):]
    given = path.source((count, len(prefix) + middle + len(suffix)))
    fixed = torch.zeros_like(given, dtype=torch.bool)
    if prefix:
        given[:, :len(prefix)] = torch.tensor(prefix)
        fixed[:, :len(prefix)] = True
    if suffix:
        given[:, len(prefix) + middle:] = torch.tensor(suffix)
        fixed[:, len(prefix) + middle:] = True
    generator = torch.Generator().manual_seed(seed)
    out = dfm.sample(path, model.posterior, given, nfe, sampler, fixed=fixed, generator=generator)
    return [row[len(prefix):len(prefix) + middle].tolist() for row in out]
