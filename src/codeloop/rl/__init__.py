"""Reinforcement learning from execution feedback (RLEF, arXiv 2410.02089).

- ``env``: episodes as ``codeloop eval`` plays them, their rewards (from the judge), their tokens
  split into the policy's and the environment's;
- ``ppo``: PPO's pieces, the formulas beside them (torch);
- ``trainer``: the PPO trainer for transformers models (``codeloop rl train``; settings in
  ``trainer_config``); ``forward``: the split forward pass of ``--train-layers``;
- ``trl``, ``verl``: adapters for the trainers people already run; ``verl_reward``: an async
  ``compute_score`` for verl's reward loop, in-process or through ``codeloop serve``.

Nothing is imported here, so that ``codeloop rl``'s settings load without torch.
"""
