"""``codeloop train lm``'s settings: a plain dataclass, torch-free, so the CLI can list them
without importing the trainer. Each field's help is its command-line flag's help."""

from __future__ import annotations

from dataclasses import dataclass, field


def setting(default: object, help_text: str) -> object:
    """A dataclass field with a default and its command-line help (also ``rl.config``'s)."""
    return field(default=default, metadata={"help": help_text})


@dataclass
class TrainConfig:
    corpus: str = field(metadata={"help": "folder of .py files (default: the standard library)"})
    tokenizer: str = field(metadata={"help": "TOKENIZER.json from `codeloop tokenizer train` (required)"})
    out: str = setting("runs/lm", "run directory: checkpoints, metrics (default: runs/lm)")
    heads: int = setting(4, "tokens predicted per position: 1 is a plain LM (default: 4)")
    dim: int = setting(256, "model width (default: 256)")
    n_layers: int = setting(4, "transformer blocks in the shared trunk plus one per extra head (default: 4)")
    n_heads: int = setting(8, "attention heads (default: 8)")
    n_kv_heads: int = setting(4, "key/value heads, for grouped-query attention (default: 4)")
    seq_len: int = setting(256, "tokens per training sequence (default: 256)")
    batch_size: int = setting(16, "sequences per step (default: 16)")
    steps: int = setting(1000, "optimizer steps (default: 1000)")
    lr: float = setting(2e-3, "peak learning rate, cosine to 10%% after warm-up (default: 0.002)")
    warmup: int = setting(50, "linear warm-up steps (default: 50)")
    weight_decay: float = setting(0.1, "AdamW weight decay (default: 0.1)")
    eval_every: int = setting(100, "steps between validation losses (default: 100)")
    eval_batches: int = setting(8, "batches per validation (default: 8)")
    checkpoint_every: int = setting(100, "steps between checkpoints; a run resumes from the last (default: 100)")
    val_percent: int = setting(5, "share of files held out for validation, by path hash (default: 5)")
    max_mb: float = setting(8.0, "MB of training text, files in a fixed order; validation capped alike (default: 8)")
    seed: int = setting(0, "random seed (default: 0)")
    device: str = setting("cpu", "cpu, or cuda: bfloat16 autocast, the same checkpoint format (default: cpu)")


@dataclass
class DFMConfig(TrainConfig):
    """``codeloop train dfm``: the same data, model and run settings as ``train lm``, ``heads`` aside
    (a DFM model predicts every position at once), and the probability path."""

    out: str = setting("runs/dfm", "run directory: checkpoints, metrics (default: runs/dfm)")
    heads: int = setting(1, "unused by discrete flow matching (kept 1)")
    scheduler: str = setting("polynomial", "kappa_t: polynomial (t^exponent), linear or cosine (default: polynomial)")
    exponent: float = setting(1.0, "the polynomial scheduler's exponent (default: 1)")
    source: str = setting("mask", "the path's source: mask (all mask tokens) or uniform (default: mask)")
    loss: str = setting("cross_entropy", "cross_entropy on x1, or generalized_kl (default: cross_entropy)")
