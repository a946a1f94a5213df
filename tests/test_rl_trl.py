"""The TRL adapter: RLEF's reward as a GRPO reward function, and multi-turn episodes as TRL's
``rollout_func``, run end to end for two optimisation steps with a tiny random model on the CPU."""

import os

import pytest

pytest.importorskip("trl")
pytest.importorskip("datasets")

from codeloop.judge import Judge, expr_test, script_test
from codeloop.llm import SamplingParams
from codeloop.loop import LoopConfig
from codeloop.rl.trl import prompt_dataset, reward_function, rollout_func, rollout_reward
from codeloop.tasks import Task, TaskKind

TASK = Task(id="toy/1", prompt="Double a number.", kind=TaskKind.FUNCTION, entry_point="double",
            public_tests=[expr_test("double(2)", "4")],
            private_tests=[script_test("assert double(2) == 4\nassert double(-3) == -6")])


def tiny_model(folder):
    """A random 1-layer Llama and a byte-level BPE tokenizer with a prefix-stable chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|eos|>", "<|user|>", "<|assistant|>", "<|end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(["```python\ndef double(x):\n    return 2 * x\n```"] * 20, trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|eos|>", pad_token="<|eos|>")
    wrapped.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
                             "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    config = LlamaConfig(vocab_size=len(wrapped), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048)
    import torch
    with torch.random.fork_rng():  # the same weights whichever tests ran before (tests assert its replies)
        torch.manual_seed(0)
        LlamaForCausalLM(config).save_pretrained(folder)
    wrapped.save_pretrained(folder)


def test_single_turn_reward_function(sandbox):
    reward = reward_function(Judge(sandbox), [TASK])
    completions = [[{"role": "assistant", "content": "```python\ndef double(x):\n    return 2 * x\n```"}],
                   [{"role": "assistant", "content": "```python\ndef double(x):\n    return 4\n```"}],
                   [{"role": "assistant", "content": "I would multiply by two."}]]
    assert reward(prompts=[None] * 3, completions=completions, task_id=["toy/1"] * 3) == [1.0, -1.0, -1.2]


def test_grpo_trainer_with_multi_turn_rollouts(sandbox, tmp_path):
    os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer
    tiny_model(tmp_path / "model")
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    config = LoopConfig(turns=2, params=SamplingParams(temperature=1.0, max_tokens=16, seed=0))
    rollout = rollout_func(Judge(sandbox), [TASK], config)
    seen = []

    def recording_rollout(prompts, trainer):
        output = rollout(prompts, trainer)
        seen.append(output)
        return output

    def shorter_is_better(completions, **_):  # varies across samples, so GRPO's advantages are not all zero
        return [-len(str(completion)) / 100 for completion in completions]

    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=2, num_generations=2,
                      max_steps=2, learning_rate=1e-2, report_to=[], use_cpu=True, logging_steps=1,
                      save_strategy="no", max_completion_length=64)
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, args=args,
                          reward_funcs=[rollout_reward, shorter_is_better],
                          train_dataset=Dataset.from_list(prompt_dataset([TASK, TASK])),
                          rollout_func=recording_rollout)
    before = [parameter.detach().clone() for parameter in model.parameters()]
    trainer.train()
    assert trainer.state.global_step == 2 and len(seen) == 2
    for output in seen:
        assert len(output["completion_ids"]) == 2  # one episode per (repeated) prompt
        for ids, mask, logprobs in zip(output["completion_ids"], output["env_mask"], output["logprobs"], strict=True):
            assert len(ids) == len(mask) == len(logprobs) and mask[0] == 1
            assert 0 in mask  # the feedback between the two turns is the environment's
        assert output["rlef_reward"] == [-1.4, -1.4]  # a random model writes no code: -0.2 per turn, then -1
    rewards = [entry["rewards/rollout_reward/mean"] for entry in trainer.state.log_history if "reward" in entry]
    assert rewards == pytest.approx([-1.4, -1.4])
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters(), strict=True))


def verl_interface():
    """verl's agent-loop classes when verl is installed, else stand-ins with its documented shape
    (``AgentLoopBase.__init__(trainer_config, server_manager, tokenizer, processor, dataset_cls,
    dataset_config)``, pydantic ``AgentLoopOutput``/``AgentLoopMetrics``; verl 0.9.1, checked)."""
    try:
        from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopMetrics, AgentLoopOutput
        return AgentLoopBase, AgentLoopOutput, AgentLoopMetrics, True
    except ImportError:
        from dataclasses import dataclass, field

        class AgentLoopBase:
            def __init__(self, trainer_config, server_manager, tokenizer, processor, dataset_cls, dataset_config,
                         **kwargs):
                self.server_manager, self.tokenizer = server_manager, tokenizer

        @dataclass
        class AgentLoopMetrics:
            generate_sequences: float = 0.0
            tool_calls: float = 0.0
            num_preempted: int = -1

        @dataclass
        class AgentLoopOutput:
            prompt_ids: list
            response_ids: list
            response_mask: list
            metrics: AgentLoopMetrics
            response_logprobs: list | None = None
            reward_score: float | None = None
            num_turns: int = 0
            extra_fields: dict = field(default_factory=dict)

        return AgentLoopBase, AgentLoopOutput, AgentLoopMetrics, False


def test_verl_agent_loop_with_a_fake_server_manager(sandbox, tmp_path):
    import asyncio
    from types import SimpleNamespace

    from transformers import AutoTokenizer

    from codeloop.rl.verl import rlef_agent_loop
    base, output_cls, metrics_cls, real = verl_interface()
    tiny_model(tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    replies = iter(["```python\ndef double(x):\n    return x + 1\n```",
                    "```python\ndef double(x):\n    return 2 * x\n```"])

    class FakeServerManager:  # verl's AsyncLLMServerManager.generate, answering with scripted replies
        def __init__(self):
            self.prompts = []

        async def generate(self, request_id, *, prompt_ids, sampling_params, image_data=None, video_data=None):
            self.prompts.append(prompt_ids)
            ids = tokenizer.encode(next(replies), add_special_tokens=False)
            return SimpleNamespace(token_ids=ids, log_probs=[-0.5] * len(ids), num_preempted=None)

    servers = FakeServerManager()
    loop_class = rlef_agent_loop(Judge(sandbox), [TASK], LoopConfig(turns=3), base, output_cls, metrics_cls)
    if real:
        agent = loop_class.__new__(loop_class)  # verl's __init__ wants its Hydra configs; what run() uses:
        agent.server_manager, agent.tokenizer = servers, tokenizer
    else:
        agent = loop_class(None, servers, tokenizer, None, None, None)
    output = asyncio.run(agent.run({"temperature": 1.0}, task_id="toy/1"))
    assert len(servers.prompts) == 2 and output.reward_score == 1.0 and output.num_turns == 4
    mask = output.response_mask
    assert len(mask) == len(output.response_ids) and mask[0] == 1 and 0 in mask and mask[-1] == 1
    text = tokenizer.decode([t for t, m in zip(output.response_ids, mask, strict=True) if m])
    assert "return x + 1" in text and "return 2 * x" in text and "failed" not in text
    feedback = tokenizer.decode([t for t, m in zip(output.response_ids, mask, strict=True) if not m])
    assert "Expected output '4' but got '3'" in feedback


@pytest.mark.slow
def test_grpo_trainer_takes_the_code_environment(sandbox, tmp_path):
    """``GRPOTrainer(environment_factory=code_environment(...))``: TRL validates the environment,
    renders ``run_code`` and ``submit`` as tools from their docstrings, resets one environment per
    rollout and takes ``get_reward`` as a reward. The embedded model's tokenizer (a chat template
    TRL parses tool calls from) on a random 1-layer model: it calls no tool, so every rollout ends
    without a submission (-1.2) and every session opened is closed."""
    os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
    from datasets import Dataset
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    from codeloop.llm.embedded import model_path
    from codeloop.rl.tools import code_environment
    from codeloop.sandbox.session import SessionPool
    if not model_path("default").is_file():
        pytest.skip("the embedded model is not installed: codeloop model install")
    path = model_path("default")
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096)
    model = LlamaForCausalLM(config)
    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=2, num_generations=2,
                      max_steps=1, report_to=[], use_cpu=True, save_strategy="no", max_completion_length=8)
    with SessionPool(2) as pool:
        trainer = GRPOTrainer(model=model, processing_class=tokenizer, args=args,
                              environment_factory=code_environment([TASK], Judge(sandbox), pool),
                              train_dataset=Dataset.from_list(prompt_dataset([TASK])))
        assert {tool.__name__ for tool in trainer.tools} == {"run_code", "submit"}
        trainer.train()
        rewards = [entry["rewards/CodeEnvironment/mean"] for entry in trainer.state.log_history
                   if "rewards/CodeEnvironment/mean" in entry]
        assert rewards == pytest.approx([-1.2])
