"""RLEF episodes in TRL's GRPOTrainer: multi-turn rollouts with execution feedback, the policy's
tokens masked apart from the environment's, rewards from codeloop's judge.

    python examples/trl_grpo.py --model PATH_TO_HF_MODEL [--benchmark mbpp] [--tasks 64] [--steps 100]

PATH is any local transformers causal LM with a chat template (for instance Qwen2.5-Coder-0.5B-
Instruct). On a CPU this is slow (each step generates num_generations episodes of up to 3 turns);
use a GPU for real runs. Needs the ``rl`` extra (``pip install 'codeloop[rl]'``).
"""

from __future__ import annotations

import argparse
import os

from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import GRPOConfig, GRPOTrainer

from codeloop.judge import Judge
from codeloop.llm import SamplingParams
from codeloop.loop import LoopConfig
from codeloop.rl.trl import prompt_dataset, rollout_func, rollout_reward
from codeloop.sandbox import Sandbox
from codeloop.tasks import load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a local Hugging Face model folder")
    parser.add_argument("--benchmark", default="mbpp", help="training tasks (default: mbpp, its train split)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--tasks", type=int, default=64, help="first N tasks")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", default="runs/trl-grpo")
    args = parser.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    tasks = load(args.benchmark, split=args.split)[: args.tasks]
    config = LoopConfig(turns=3, params=SamplingParams(temperature=1.0, top_p=0.95, max_tokens=512))
    with Sandbox() as sandbox:
        trainer = GRPOTrainer(
            model=AutoModelForCausalLM.from_pretrained(args.model),
            processing_class=AutoTokenizer.from_pretrained(args.model),
            reward_funcs=rollout_reward,
            train_dataset=Dataset.from_list(prompt_dataset(tasks)),
            rollout_func=rollout_func(Judge(sandbox), tasks, config),
            args=GRPOConfig(output_dir=args.out, max_steps=args.steps, per_device_train_batch_size=4,
                            num_generations=4, learning_rate=1e-6, logging_steps=1, report_to=[]))
        trainer.train()
        trainer.save_model(args.out)


if __name__ == "__main__":
    main()
