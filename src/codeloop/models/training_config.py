"""``codeloop train lm``'s and ``train dfm``'s settings: plain dataclasses, torch-free, so the CLI can
list them without importing the trainers. Each field is a flag and a ``--config`` key
(``codeloop.settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from codeloop.settings import positive_float, positive_int, setting


@dataclass
class TrainConfig:
    corpus: str = setting(help_text="folder of .py files (default: the standard library)")
    tokenizer: str = setting(help_text="TOKENIZER.json from `codeloop tokenizer train` (required)")
    out: str = setting("runs/lm", "run directory: checkpoints, metrics (default: runs/lm)")
    heads: int = setting(4, "tokens predicted per position: 1 is a plain LM (default: 4)", type=positive_int)
    dim: int = setting(256, "model width (default: 256)", type=positive_int)
    n_layers: int = setting(4, "transformer blocks in the shared trunk plus one per extra head (default: 4)",
                            type=positive_int)
    n_heads: int = setting(8, "attention heads (default: 8)", type=positive_int)
    n_kv_heads: int = setting(4, "key/value heads, for grouped-query attention (default: 4)", type=positive_int)
    seq_len: int = setting(256, "tokens per training sequence (default: 256)", type=positive_int)
    batch_size: int = setting(16, "sequences per step (default: 16)", type=positive_int)
    steps: int = setting(1000, "optimizer steps (default: 1000)", type=positive_int)
    lr: float = setting(2e-3, "peak learning rate, cosine to 10%% after warm-up (default: 0.002)", type=positive_float)
    warmup: int = setting(50, "linear warm-up steps (default: 50)")
    weight_decay: float = setting(0.1, "AdamW weight decay (default: 0.1)")
    eval_every: int = setting(100, "steps between validation losses (default: 100)", type=positive_int)
    eval_batches: int = setting(8, "batches per validation (default: 8)", type=positive_int)
    checkpoint_every: int = setting(100, "steps between checkpoints; a run resumes from the last (default: 100)",
                                    type=positive_int)
    val_percent: int = setting(5, "share of files held out for validation, by path hash (default: 5)")
    max_mb: float = setting(8.0, "MB of training text, files in a fixed order; validation capped alike (default: 8)",
                            type=positive_float)
    seed: int = setting(0, "random seed (default: 0)")
    device: str = setting("cpu", "cpu, or cuda: bfloat16 autocast, the same checkpoint format (default: cpu)")


@dataclass
class DFMConfig(TrainConfig):
    """``codeloop train dfm``: the same data, model and run settings as ``train lm``, ``heads`` aside
    (a DFM model predicts every position at once), and the probability path."""

    out: str = setting("runs/dfm", "run directory: checkpoints, metrics (default: runs/dfm)")
    heads: int = setting(1, "unused by discrete flow matching (kept 1)")
    scheduler: str = setting("polynomial", "kappa_t: polynomial (t^exponent), linear or cosine (default: polynomial)",
                             choices=("polynomial", "linear", "cosine"))
    exponent: float = setting(1.0, "the polynomial scheduler's exponent (default: 1)", type=positive_float)
    source: str = setting("mask", "the path's source: mask (all mask tokens) or uniform (default: mask)",
                          choices=("mask", "uniform"))
    loss: str = setting("cross_entropy", "cross_entropy on x1, or generalized_kl (default: cross_entropy)",
                        choices=("cross_entropy", "generalized_kl"))
