"""Model properties: causality, RoPE, GQA, KV cache, n = 1, sequential gradients, speculative decoding."""

import pytest

torch = pytest.importorskip("torch")

from codeloop.models import (  # noqa: E402
    KVCache,
    Llama,
    ModelArgs,
    MultiTokenLM,
    for_decoding,
    greedy_decode,
    speculative_decode,
)
from codeloop.models.llama import apply_rope, rope_tables  # noqa: E402

ARGS = ModelArgs(dim=32, n_layers=3, n_heads=4, n_kv_heads=2, vocab_size=61, multiple_of=16, max_seq_len=64)


@pytest.fixture(autouse=True)
def float64():
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def tokens(length, batch=1, seed=1):
    return torch.randint(0, ARGS.vocab_size, (batch, length), generator=torch.Generator().manual_seed(seed))


def test_future_tokens_do_not_change_past_logits():
    model = Llama(ARGS).eval()
    x = tokens(12)
    y = x.clone()
    y[0, 8:] = (y[0, 8:] + 7) % ARGS.vocab_size
    assert torch.allclose(model(x)[0, :8], model(y)[0, :8])
    assert not torch.allclose(model(x)[0, 8:], model(y)[0, 8:])


def test_rope_scores_depend_only_on_relative_position():
    cos, sin = rope_tables(8, 64, 500000.0)
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)

    def score(m, n):
        return (apply_rope(q, cos[m:m + 1], sin[m:m + 1]) * apply_rope(k, cos[n:n + 1], sin[n:n + 1])).sum()
    assert torch.allclose(score(5, 2), score(5 + 17, 2 + 17))
    assert not torch.allclose(score(5, 2), score(5, 3))


def test_gqa_with_all_kv_heads_is_multi_head_attention():
    import torch.nn.functional as F
    args = ModelArgs(dim=32, n_layers=1, n_heads=4, n_kv_heads=4, vocab_size=61, max_seq_len=64)
    attention = Llama(args).layers[0].attention
    x = torch.randn(2, 9, 32)
    cos, sin = rope_tables(8, 64, args.rope_theta)
    ours = attention(x, cos[:9], sin[:9], 0, None)
    q = apply_rope(attention.wq(x).view(2, 9, 4, 8), cos[:9], sin[:9]).transpose(1, 2)
    k = apply_rope(attention.wk(x).view(2, 9, 4, 8), cos[:9], sin[:9]).transpose(1, 2)
    v = attention.wv(x).view(2, 9, 4, 8).transpose(1, 2)
    scores = (q @ k.transpose(-1, -2)) / 8 ** 0.5 + torch.full((9, 9), float("-inf")).triu(1)
    reference = attention.wo((F.softmax(scores, -1) @ v).transpose(1, 2).reshape(2, 9, 32))
    assert torch.allclose(ours, reference)
    assert args.rope_theta == 500000.0


def test_kv_cache_decoding_equals_full_forward():
    model = Llama(ARGS).eval()
    x = tokens(10, batch=2)
    full = model(x)
    caches = model.new_caches(batch=2)
    steps = [model(x[:, :4], 0, caches)] + [model(x[:, i:i + 1], i, caches) for i in range(4, 10)]
    assert torch.allclose(torch.cat(steps, dim=1), full)


def test_one_head_mtp_is_a_plain_llama():
    plain = Llama(ARGS).eval()
    mtp = MultiTokenLM(ARGS, n_future=1).eval()
    mtp.tok_embeddings.load_state_dict(plain.tok_embeddings.state_dict())
    for mine, theirs in zip(mtp.trunk, plain.layers[:-1], strict=True):
        mine.load_state_dict(theirs.state_dict())
    mtp.heads[0].load_state_dict(plain.layers[-1].state_dict())
    mtp.head_norms[0].load_state_dict(plain.norm.state_dict())
    mtp.output.load_state_dict(plain.output.state_dict())
    x = tokens(11)
    assert torch.allclose(mtp(x)[0], plain(x))
    loss = torch.nn.functional.cross_entropy(plain(x)[0, :-1], x[0, 1:])
    assert torch.allclose(mtp.loss(x), loss)


def test_sequential_head_backward_matches_summed_loss():
    model = MultiTokenLM(ARGS, n_future=4)
    x = tokens(16, batch=2)
    model.loss(x).backward()
    naive = {name: p.grad.clone() for name, p in model.named_parameters()}
    model.zero_grad()
    losses = model.sequential_backward(x)
    assert len(losses) == 4
    for name, p in model.named_parameters():
        assert torch.allclose(p.grad, naive[name]), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_self_speculative_output_equals_greedy_for_untrained_weights(seed):
    torch.manual_seed(seed)
    model = MultiTokenLM(ARGS, n_future=4).eval()
    prompt = tokens(5, seed=seed)[0].tolist()
    greedy, greedy_stats = greedy_decode(model, prompt, 40)
    fast, fast_stats = speculative_decode(model, prompt, 40)
    assert fast == greedy and len(greedy) == 40
    assert fast_stats.forwards <= greedy_stats.forwards
    assert fast_stats.tokens_per_forward >= 1.0


def test_self_speculative_accepts_every_draft_when_heads_agree():
    """Zeroed head norms give all-zero logits, so every head predicts token 0: all drafts are accepted
    and each verifying forward yields n_future tokens."""
    model = MultiTokenLM(ARGS, n_future=4).eval()
    with torch.no_grad():
        for norm in model.head_norms:
            norm.weight.zero_()
    greedy, _ = greedy_decode(model, [1, 2, 3], 21)
    fast, stats = speculative_decode(model, [1, 2, 3], 21)
    assert fast == greedy == [0] * 21
    assert stats.accepted == [1, 4, 4, 4, 4, 4] and stats.forwards == 6


def test_decoding_layout_computes_the_same_logits_and_tokens():
    model = MultiTokenLM(ARGS, n_future=3).eval()
    fast = for_decoding(model)
    batch = tokens(12, batch=2)
    assert torch.allclose(fast(batch), model(batch), atol=1e-12)
    assert not any(isinstance(m, torch.nn.Linear) for m in fast.modules())
    prompt = batch[0, :5].tolist()
    assert speculative_decode(fast, prompt, 30)[0] == greedy_decode(model, prompt, 30)[0]


def test_last_only_block_gives_the_last_position_and_fills_the_whole_cache():
    model = Llama(ARGS).eval()
    block, x = model.layers[0], torch.randn(1, 6, ARGS.dim)
    cos, sin = model.rope_cos[3:9], model.rope_sin[3:9]
    full_cache, last_cache = KVCache.empty(ARGS, 1, 16, x.dtype), KVCache.empty(ARGS, 1, 16, x.dtype)
    for cache in (full_cache, last_cache):  # three earlier positions already cached
        block(torch.randn(1, 3, ARGS.dim, generator=torch.Generator().manual_seed(2)), model.rope_cos[:3],
              model.rope_sin[:3], 0, cache)
    full = block(x, cos, sin, 3, full_cache)
    last = block(x, cos, sin, 3, last_cache, last_only=True)
    assert last.shape == (1, 1, ARGS.dim) and torch.allclose(last, full[:, -1:], atol=1e-12)
    assert torch.equal(last_cache.k, full_cache.k) and torch.equal(last_cache.v, full_cache.v)
