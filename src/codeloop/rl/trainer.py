"""PPO on the RLEF environment (Gehring et al., arXiv 2410.02089, section 3.2), for Hugging Face
causal LMs: a folder (``hf:PATH``), a GGUF file loaded into transformers (``gguf:PATH``, or an
embedded model's name, e.g. ``default``) or a ``codeloop train lm`` checkpoint converted to one
(``codeloop:CHECKPOINT``). Full fine-tuning, or LoRA (peft) with ``lora_rank > 0``.

One step:
1. play ``episodes_per_step`` episodes with the current policy, sampling, exactly as
   ``codeloop eval`` plays them (tasks in turn, each episode seeded by step and index; with
   ``batch > 1``, that many at once, their replies generated in batches: ``codeloop.llm.batching``);
2. tokenize each (``env.tokenize_episode``: the policy's tokens, each turn's value position) and
   compute, without gradients, the policy's log-probabilities (pi_old), the initial policy's
   (pi_ref: the adapters switched off under LoRA, a frozen copy otherwise) and the turn values;
3. turn-level advantages and returns (``ppo.turn_advantages``), normalised over the step's turns
   (``whiten``, as PPO implementations do), each turn's advantage given to its reply's tokens;
4. ``ppo_epochs`` passes over the episodes, one episode per forward, gradients accumulated over
   the step: loss = L_clip + beta * KL(pi || pi_ref) + c_v * L_value (``ppo``'s formulas), then one
   optimizer step with the gradient norm clipped.

``random_feedback`` is the paper's ablation: every feedback message is replaced by the feedback
another episode got (drawn from the previous step's), so the policy learns to use multiple turns
but not what the feedback says. Metrics go to ``OUT/metrics.jsonl`` (and ``OUT/tensorboard`` when
tensorboard is installed); ``OUT/checkpoint`` holds the policy, the value head, the optimizer and
the step, and a run resumes from it.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import torch
from tqdm import tqdm

from codeloop.judge import Judge
from codeloop.llm import SamplingParams
from codeloop.llm.hf import TransformersModel
from codeloop.loop import Episode, LoopConfig, run_episode
from codeloop.rl import forward
from codeloop.rl.env import TokenizedEpisode, chat_render, tokenize_episode
from codeloop.rl.ppo import (
    ValueHead,
    clipped_policy_loss,
    expand_to_tokens,
    kl_to_reference,
    turn_advantages,
    value_loss,
)
from codeloop.rl.trainer_config import RLConfig
from codeloop.sandbox.ray_pool import open_sandbox
from codeloop.tasks import Task, load


def load_policy(spec: str, device: str) -> tuple[torch.nn.Module, object]:
    """A transformers causal LM and its tokenizer from ``hf:PATH``, ``gguf:PATH``, ``codeloop:CHECKPOINT``
    (``codeloop.models.to_hf``) or an embedded name."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codeloop.llm import EMBEDDED
    kind, _, rest = spec.partition(":")
    if spec in EMBEDDED or kind == "gguf":
        from codeloop.llm.embedded import verified_model_path
        path = Path(verified_model_path(spec) if spec in EMBEDDED else rest)
        options = {"gguf_file": path.name}
        folder = str(path.parent)
    elif kind == "hf" and rest:
        folder, options = rest, {}
    elif kind == "codeloop" and rest:
        from codeloop.models.to_hf import to_transformers
        model, tokenizer = to_transformers(rest)
        return model.to(device), tokenizer
    else:
        raise ValueError(f"--model {spec!r}: expected hf:PATH, gguf:PATH, codeloop:CHECKPOINT or an embedded "
                         "model's name")
    model = AutoModelForCausalLM.from_pretrained(folder, **options)
    if getattr(model, "hf_quantizer", None) is not None:  # a GGUF file, its weights dequantized on loading
        if not all(parameter.is_floating_point() for parameter in model.parameters()):
            raise ValueError(f"{spec}: transformers kept the GGUF weights quantized; they cannot be trained")
        model.hf_quantizer = None  # plain float weights from here on: trained and saved as such
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    return model.to(device), AutoTokenizer.from_pretrained(folder, **options)


def freeze_below(model: torch.nn.Module, first: int) -> None:
    """Train only the transformer blocks from ``first`` up and the final norm. The embeddings stay
    frozen (tied to the output layer in small models), so no gradient reaches below block
    ``first`` and the backward pass stops there."""
    decoder = model.get_decoder()
    model.requires_grad_(False)
    for block in decoder.layers[first:]:
        block.requires_grad_(True)
    decoder.norm.requires_grad_(True)


class Trainer:
    """The PPO loop above; ``step()`` once per call, ``train()`` for the configured steps."""

    def __init__(self, config: RLConfig, tasks: list[Task], judge: Judge,
                 model: torch.nn.Module | None = None, tokenizer: object | None = None) -> None:
        self.config, self.tasks, self.judge = config, tasks, judge
        torch.manual_seed(config.seed)
        if model is None:
            model, tokenizer = load_policy(config.model, config.device)
        self.tokenizer, self.render = tokenizer, chat_render(tokenizer)
        self.reference = None
        blocks = len(model.get_decoder().layers)
        trained = range(blocks - config.train_layers if 0 < config.train_layers < blocks else 0, blocks)
        self.split = trained.start  # blocks below it are frozen: run once per episode (``forward.trunk``)
        if config.lora_rank > 0:
            from peft import LoraConfig, get_peft_model
            top = {"layers_to_transform": list(trained), "target_modules": sorted(  # peft wants names then
                {name.rpartition(".")[2] for name, module in model.get_decoder().layers[-1].named_modules()
                 if isinstance(module, torch.nn.Linear)})} if self.split else {"target_modules": "all-linear"}
            model = get_peft_model(model, LoraConfig(r=config.lora_rank, lora_alpha=2 * config.lora_rank,
                                                     task_type="CAUSAL_LM", **top))
        else:
            import copy
            self.reference = copy.deepcopy(model).eval().requires_grad_(False)
            if len(trained) < blocks:
                freeze_below(model, trained.start)
        self.model = model
        self.value = ValueHead(model.config.hidden_size).to(config.device)
        self.optimizer = torch.optim.AdamW([
            {"params": [p for p in model.parameters() if p.requires_grad], "lr": config.lr},
            {"params": self.value.parameters(), "lr": config.value_lr}])
        self.step_index = 0
        self.feedback_pool: list[str] = []
        self._board: object = None  # a TensorBoard writer once made, False when tensorboard is absent
        self.out = Path(config.out)
        self._resume()

    # --- playing ---------------------------------------------------------------------------
    def loop_config(self, rng: random.Random) -> LoopConfig:
        params = SamplingParams(self.config.temperature, self.config.top_p, self.config.max_tokens,
                                seed=self.config.seed + 1000 * self.step_index)
        config = LoopConfig(turns=self.config.turns, feedback=self.config.feedback, params=params)
        if self.config.random_feedback and self.feedback_pool:
            pool = list(self.feedback_pool)
            return replace(config, feedback_override=lambda _task, _text: rng.choice(pool))
        return config

    def play(self) -> list[Episode]:
        rng = random.Random(self.config.seed * 7919 + self.step_index)
        config = self.loop_config(rng)
        policy = TransformersModel.from_loaded(self.model, self.tokenizer, max_batch=self.config.batch,
                                               stop_after_code=self.config.stop_after_code)
        first = self.step_index * self.config.episodes_per_step
        samples = range(first, first + self.config.episodes_per_step)
        self.model.eval()
        with ThreadPoolExecutor(min(self.config.batch, len(samples))) as pool:
            episodes = list(pool.map(
                lambda sample: run_episode(self.tasks[sample % len(self.tasks)], policy, self.judge, config, sample),
                samples))
        self.feedback_pool = [turn.feedback for episode in episodes for turn in episode.turns if turn.feedback]
        return episodes

    # --- learning --------------------------------------------------------------------------
    def forward(self, tokens: TokenizedEpisode, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(log pi of tokens 1.., 0 where the environment wrote them; turn values) for one episode,
        from its trunk output ``hidden`` (``codeloop.rl.forward``)."""
        ids, where = self._ids(tokens)
        if not self.split:  # every weight trained: embed again, inside this pass's gradient
            hidden = forward.trunk(self.model, ids, 0)
        last = forward.head(self.model, hidden, self.split)
        positions = torch.tensor([tokens.value_positions], device=self.config.device)
        return forward.logprobs(self.model, last, ids, where), self.value(last.float(), positions)[0]

    def reference_logprobs(self, tokens: TokenizedEpisode, hidden: torch.Tensor) -> torch.Tensor:
        ids, where = self._ids(tokens)
        if self.reference is None:  # LoRA: the policy with its adapters switched off
            with self.model.disable_adapter():
                return forward.logprobs(self.model, forward.head(self.model, hidden, self.split), ids, where)
        if not self.split:  # every weight trained, the embeddings too: the reference embeds on its own
            hidden = forward.trunk(self.reference, ids, 0)
        return forward.logprobs(self.reference, forward.head(self.reference, hidden, self.split), ids, where)

    def _ids(self, tokens: TokenizedEpisode) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.tensor([tokens.ids], device=self.config.device),
                torch.tensor(tokens.policy_mask[1:], device=self.config.device))

    def step(self) -> dict:
        config, start = self.config, time.perf_counter()
        episodes = self.play()
        played = time.perf_counter()
        batch = []
        with torch.no_grad():
            for episode in episodes:
                tokens = tokenize_episode(episode, self.render)
                if not any(tokens.policy_mask[1:]):
                    continue
                hidden = forward.trunk(self.model, self._ids(tokens)[0], self.split)
                logp_old, values_old = self.forward(tokens, hidden)
                rewards = torch.tensor(tokens.rewards, device=config.device)
                advantages, returns = turn_advantages(rewards, values_old, config.gamma, config.lam)
                batch.append([tokens, hidden, logp_old, self.reference_logprobs(tokens, hidden), values_old,
                              returns, advantages,
                              torch.tensor(tokens.policy_mask[1:], device=config.device, dtype=torch.float)])
        if config.whiten and batch:  # every turn of the step's episodes, normalised together
            every = torch.cat([entry[6] for entry in batch])
            mean, std = every.mean(), every.std() if len(every) > 1 else torch.ones(())
            for entry in batch:
                entry[6] = (entry[6] - mean) / (std + 1e-8)
        for entry in batch:  # each turn's advantage to its reply's tokens
            entry[6] = expand_to_tokens(entry[6], torch.tensor(entry[0].token_turns[1:], device=config.device))
        scored = time.perf_counter()
        self.model.train()
        totals = {"policy_loss": 0.0, "kl": 0.0, "value_loss": 0.0}
        for _ in range(config.ppo_epochs):
            self.optimizer.zero_grad()
            for tokens, hidden, logp_old, logp_ref, values_old, returns, advantages, mask in batch:
                logp, values = self.forward(tokens, hidden)
                policy_loss = clipped_policy_loss(logp, logp_old, advantages, mask, config.clip)
                kl = kl_to_reference(logp, logp_ref, mask)
                critic = value_loss(values, returns, values_old, config.value_clip)
                ((policy_loss + config.kl_beta * kl + config.value_coef * critic) / len(batch)).backward()
                for key, value in (("policy_loss", policy_loss), ("kl", kl), ("value_loss", critic)):
                    totals[key] += value.item() / (len(batch) * config.ppo_epochs)
            torch.nn.utils.clip_grad_norm_([*self.model.parameters(), *self.value.parameters()], config.max_grad_norm)
            self.optimizer.step()
        self.step_index += 1
        returns = [sum(tokens.rewards) for tokens, *_ in batch]
        metrics = {"step": self.step_index, "episodes": len(episodes),
                   "final_pass": sum(e.passed for e in episodes) / len(episodes),
                   "first_turn_pass": sum(e.first_turn_passed for e in episodes) / len(episodes),
                   "mean_return": sum(returns) / max(len(returns), 1),
                   "turns": sum(len(e.turns) for e in episodes) / len(episodes), **totals,
                   "tokens": sum(len(tokens.ids) for tokens, *_ in batch),
                   "play_s": played - start, "score_s": scored - played, "update_s": time.perf_counter() - scored,
                   "seconds": time.perf_counter() - start}
        self._log(metrics)
        if self.step_index % config.checkpoint_every == 0 or self.step_index == config.steps:
            self.save()
        return metrics

    def train(self, progress: bool = True) -> list[dict]:
        history = []
        with tqdm(total=self.config.steps, initial=self.step_index, desc="rlef ppo", unit="step",
                  disable=not progress) as bar:
            while self.step_index < self.config.steps:
                history.append(self.step())
                bar.update()
                bar.set_postfix(final_pass=f"{history[-1]['final_pass']:.2f}", kl=f"{history[-1]['kl']:.3f}")
        return history

    # --- storage ---------------------------------------------------------------------------
    def _log(self, metrics: dict) -> None:
        """One line of ``OUT/metrics.jsonl`` per step, and TensorBoard scalars when it is installed."""
        self.out.mkdir(parents=True, exist_ok=True)
        with open(self.out / "metrics.jsonl", "a") as handle:
            handle.write(json.dumps(metrics) + "\n")
        if self._board is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional
                self._board = False
                return
            self._board = SummaryWriter(str(self.out / "tensorboard"))
        if self._board:
            for key, value in metrics.items():
                if key != "step":
                    self._board.add_scalar(f"rlef/{key}", value, metrics["step"])
            self._board.flush()

    def save(self) -> None:
        folder = self.out / "checkpoint"
        self.model.save_pretrained(folder / "policy")
        self.tokenizer.save_pretrained(folder / "policy")
        torch.save({"value": self.value.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "step": self.step_index, "feedback_pool": self.feedback_pool, "config": asdict(self.config)},
                   folder / "state.pt")

    def _resume(self) -> None:
        state_file = self.out / "checkpoint" / "state.pt"
        if not state_file.exists():
            return
        state = torch.load(state_file, map_location=self.config.device, weights_only=False)
        policy = self.out / "checkpoint" / "policy"
        if self.config.lora_rank > 0:
            from peft import set_peft_model_state_dict
            from safetensors.torch import load_file
            set_peft_model_state_dict(self.model, load_file(policy / "adapter_model.safetensors"))
        else:
            from transformers import AutoModelForCausalLM
            self.model.load_state_dict(AutoModelForCausalLM.from_pretrained(policy).state_dict())
        self.value.load_state_dict(state["value"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step_index, self.feedback_pool = state["step"], state["feedback_pool"]


def train_rl(config: RLConfig, progress: bool = True) -> list[dict]:
    """``codeloop rl train``: load the tasks, open a sandbox, train."""
    tasks = load(config.benchmark, split=config.split, path=config.data_path)
    tasks = tasks[: config.limit] if config.limit else tasks
    with open_sandbox(None, config.ray) as sandbox:
        return Trainer(config, tasks, Judge(sandbox)).train(progress)
