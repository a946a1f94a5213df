"""Reinforcement learning from execution feedback (RLEF, arXiv 2410.02089): the environment
(``env``: episodes as ``codeloop eval`` runs them, rewards from the judge, the policy's tokens
apart from the environment's) and PPO's pieces (``ppo``). ``ppo`` needs torch (the ``models``
extra); ``env`` does not."""

from codeloop.rl.env import TokenizedEpisode, collect, dialogue, reply_turns, tokenize_episode, turn_rewards

__all__ = ["TokenizedEpisode", "collect", "dialogue", "reply_turns", "tokenize_episode", "turn_rewards"]
