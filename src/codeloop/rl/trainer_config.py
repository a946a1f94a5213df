"""``codeloop rl train``'s settings: a plain dataclass, torch-free, so the CLI can list them
without importing the trainer. Each field's help is its command-line flag's help; a TOML file
(``--config rl.toml``) may set any of them, and flags override it."""

from __future__ import annotations

from dataclasses import dataclass

from codeloop.settings import setting


@dataclass
class RLConfig:
    model: str = setting(help_text="the policy: hf:PATH, gguf:PATH, codeloop:CHECKPOINT or an embedded model's name "
                         "such as default (required)")
    benchmark: str = setting("mbpp", "training tasks (default: mbpp)")
    split: str = setting("train", "dataset split (default: train)")
    data_path: str | None = setting(None, "dataset file or directory (default: the copy codeloop ships)")
    limit: int | None = setting(None, "the first N tasks only")
    out: str = setting("runs/rl", "run directory: metrics.jsonl, checkpoint/ (default: runs/rl)")
    steps: int = setting(100, "PPO steps (default: 100)")
    episodes_per_step: int = setting(8, "episodes played per step, gradients accumulated over them (default: 8)")
    batch: int = setting(1, "episodes played at once, their replies generated in one batch (default: 1, one "
                         "after another, each sample seeded and reproducible)")
    turns: int = setting(3, "turns per episode (default: 3)")
    feedback: str = setting("failed", "feedback granularity: binary, failed or all (default: failed)")
    temperature: float = setting(1.0, "sampling temperature while training (default: 1.0, as RLEF)")
    top_p: float = setting(0.95, "nucleus sampling while training (default: 0.95, as RLEF)")
    max_tokens: int = setting(512, "tokens per reply (default: 512)")
    lr: float = setting(1e-6, "policy learning rate (default: 1e-6)")
    value_lr: float = setting(1e-4, "value head learning rate (default: 1e-4)")
    kl_beta: float = setting(0.05, "weight of the KL penalty to the initial policy (default: 0.05)")
    clip: float = setting(0.2, "PPO's clip range for the probability ratio (default: 0.2)")
    value_clip: float = setting(0.2, "clip range of the value update (default: 0.2)")
    value_coef: float = setting(0.5, "weight of the value loss (default: 0.5)")
    gamma: float = setting(1.0, "discount over turns (default: 1.0)")
    lam: float = setting(0.95, "GAE lambda over turns (default: 0.95)")
    ppo_epochs: int = setting(1, "passes over each step's episodes (default: 1)")
    whiten: bool = setting(True, "normalise each step's turn advantages to mean 0, std 1 (default: on)")
    max_grad_norm: float = setting(1.0, "gradient norm clip (default: 1.0)")
    lora_rank: int = setting(0, "LoRA rank (peft); 0 trains every weight (default: 0)")
    train_layers: int = setting(0, "train only the top N transformer blocks and the final norm, the rest frozen "
                                "(backward stops at the lowest trained block); 0 trains all (default: 0)")
    stop_after_code: bool = setting(True, "end each reply when it closes its first fenced code block: what "
                                    "follows is never judged (default: on)")
    random_feedback: bool = setting(False, "the ablation: feedback replaced by one another episode of the last "
                                    "step got (the first step's is real) (default: off)")
    ray: str | None = setting(None, "run the sandboxes on a Ray cluster at this address (host:port), or 'local' "
                              "for a Ray instance started for the run (needs the ray extra)")
    checkpoint_every: int = setting(10, "steps between checkpoints; a run resumes from the last (default: 10)")
    seed: int = setting(0, "random seed (default: 0)")
    device: str = setting("cpu", "cpu or cuda (default: cpu)")

    def __post_init__(self) -> None:
        if self.train_layers < 0:
            raise ValueError(f"--train-layers must be >= 0, got {self.train_layers}")
        for name in ("steps", "episodes_per_step", "batch", "turns", "max_tokens", "ppo_epochs", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
