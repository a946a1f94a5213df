"""Discrete flow matching's maths (codeloop.models.dfm), checked by its properties."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from codeloop.models.dfm import (  # noqa: E402 (after the skip)
    MixturePath,
    Scheduler,
    corrector_alpha,
    cross_entropy_loss,
    generalized_kl_loss,
    sample,
)

SCHEDULERS = [Scheduler("linear"), Scheduler("polynomial", 2.0), Scheduler("polynomial", 0.5), Scheduler("cosine")]


@pytest.mark.parametrize("scheduler", SCHEDULERS, ids=lambda s: f"{s.kind}{s.exponent}")
def test_scheduler_derivative_and_inverse(scheduler):
    t = torch.linspace(0.05, 0.95, 19, dtype=torch.float64)
    eps = 1e-6
    finite = (scheduler.kappa(t + eps) - scheduler.kappa(t - eps)) / (2 * eps)
    assert torch.allclose(scheduler.derivative(t), finite, atol=1e-6)
    assert torch.allclose(scheduler.inverse(scheduler.kappa(t)), t, atol=1e-9)
    ends = scheduler.kappa(torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert torch.allclose(ends, torch.tensor([0.0, 1.0], dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("t", [0.2, 0.5, 0.8])
def test_path_marginal_is_kappa(t):
    generator = torch.Generator().manual_seed(0)
    path = MixturePath(Scheduler("polynomial", 2.0), vocab_size=6, mask_token=5)
    x_1 = torch.randint(5, (2000, 50), generator=generator)
    x_t = path.sample(x_1, torch.tensor(t), generator=generator)
    share = (x_t == x_1).double().mean().item()
    kappa = t ** 2
    assert abs(share - kappa) < 4 * (kappa * (1 - kappa) / x_1.numel()) ** 0.5
    assert ((x_t == x_1) | (x_t == 5)).all()  # a position is either clean or masked


@pytest.mark.parametrize("mask_token", [7, None], ids=["mask", "uniform"])
def test_velocities_rows_sum_to_zero_and_are_non_negative_off_the_diagonal(mask_token):
    generator = torch.Generator().manual_seed(1)
    vocab = 8
    path = MixturePath(Scheduler("cosine"), vocab_size=vocab, mask_token=mask_token)
    x_t = torch.randint(vocab, (16, 12), generator=generator)
    probs = torch.softmax(torch.randn(16, 12, vocab, generator=generator), -1)
    t = torch.rand(16, generator=generator) * 0.9 + 0.05
    diagonal = torch.nn.functional.one_hot(x_t, vocab).bool()
    for velocity in (path.velocity(probs, x_t, t), path.corrector_velocity(probs, x_t, t, corrector_alpha(t))):
        assert torch.allclose(velocity.sum(-1), torch.zeros(16, 12), atol=1e-6 * velocity.abs().max().item())
        assert (velocity[~diagonal] >= -1e-7).all()
    assert torch.allclose(path.backward_velocity(x_t, t).sum(-1), torch.zeros(16, 12), atol=1e-5)


def test_the_kolmogorov_equation_holds_for_each_velocity():
    """d/dt p_t(x) = sum_z u_t(x, z) p_t(z) for one position with known x_1 (the conditional path)."""
    vocab, mask, x1 = 5, 4, 2
    scheduler = Scheduler("polynomial", 2.0)
    path = MixturePath(scheduler, vocab_size=vocab, mask_token=mask)
    t = torch.tensor([0.3])
    kappa, dkappa = scheduler.kappa(t).item(), scheduler.derivative(t).item()
    p_t = torch.zeros(vocab)
    p_t[x1], p_t[mask] = kappa, 1 - kappa
    oracle = torch.nn.functional.one_hot(torch.tensor([[x1]]), vocab).float()
    flux = torch.zeros(vocab)
    for z, weight in ((x1, kappa), (mask, 1 - kappa)):
        state = torch.tensor([[z]])
        flux += weight * path.corrector_velocity(oracle, state, t, torch.tensor([3.0]))[0, 0]
    expected = torch.zeros(vocab)
    expected[x1], expected[mask] = dkappa, -dkappa
    assert torch.allclose(flux, expected, atol=1e-6)


@pytest.mark.parametrize("sampler", ["euler", "corrector"])
@pytest.mark.parametrize("mask_token", [9, None], ids=["mask", "uniform"])
def test_an_oracle_model_makes_every_sampler_return_x1(sampler, mask_token):
    generator = torch.Generator().manual_seed(2)
    vocab = 10
    path = MixturePath(Scheduler("polynomial", 1.5), vocab_size=vocab, mask_token=mask_token)
    x_1 = torch.randint(9, (64, 20), generator=generator)

    def oracle(x_t, t):
        return torch.nn.functional.one_hot(x_1, vocab).float()

    for steps in (1, 4, 32):
        x_0 = path.source(tuple(x_1.shape), generator)
        assert torch.equal(sample(path, oracle, x_0, steps, sampler, generator=generator), x_1)


@pytest.mark.parametrize("sampler", ["euler", "corrector"])
def test_samples_of_a_factorised_distribution_have_its_marginals(sampler):
    """With the exact posterior of an independent-positions distribution, samples match its
    marginals within total variation 0.02 at every position."""
    generator = torch.Generator().manual_seed(3)
    real, mask = 4, 4
    marginals = torch.tensor([[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25], [0.05, 0.15, 0.3, 0.5]])
    path = MixturePath(Scheduler("polynomial", 1.0), vocab_size=real + 1, mask_token=mask)

    def posterior(x_t, t):
        known = torch.nn.functional.one_hot(x_t.clamp(max=real - 1), real + 1).float()
        prior = torch.cat([marginals, torch.zeros(3, 1)], -1).expand(x_t.shape[0], -1, -1)
        return torch.where((x_t == mask).unsqueeze(-1), prior, known)

    count = 100_000
    x = sample(path, posterior, path.source((count, 3)), 8, sampler, generator=generator)
    for position in range(3):
        empirical = torch.bincount(x[:, position], minlength=real + 1)[:real].double() / count
        assert 0.5 * (empirical - marginals[position].double()).abs().sum() < 0.02, (position, empirical)


def test_fixed_positions_are_never_moved_and_the_rest_is_filled():
    generator = torch.Generator().manual_seed(4)
    vocab, mask = 6, 5
    path = MixturePath(Scheduler("linear"), vocab_size=vocab, mask_token=mask)
    given = torch.tensor([[1, 2, mask, mask, 3]]).repeat(32, 1)
    fixed = given != mask

    def posterior(x_t, t):
        return torch.full((*x_t.shape, vocab), 1.0 / (vocab - 1)).index_fill(-1, torch.tensor([mask]), 0.0)

    x = sample(path, posterior, given, 6, "corrector", fixed=fixed, generator=generator)
    assert torch.equal(x[fixed], given[fixed]) and (x != mask).all()


def test_losses_prefer_the_right_prediction():
    generator = torch.Generator().manual_seed(5)
    vocab, mask = 7, 6
    scheduler = Scheduler("polynomial", 2.0)
    path = MixturePath(scheduler, vocab_size=vocab, mask_token=mask)
    x_1 = torch.randint(6, (32, 16), generator=generator)
    t = torch.rand(32, generator=generator) * 0.8 + 0.1
    x_t = path.sample(x_1, t, generator=generator)
    right = torch.nn.functional.one_hot(x_1, vocab).float() * 20
    uniform = torch.zeros(32, 16, vocab)
    assert cross_entropy_loss(right, x_1, x_t) < 1e-6 < cross_entropy_loss(uniform, x_1, x_t)
    assert abs(generalized_kl_loss(right, x_1, x_t, t, scheduler)) < 1e-6  # >= 0 up to rounding
    assert generalized_kl_loss(uniform, x_1, x_t, t, scheduler) > 0.1
    with pytest.raises(ValueError, match="sampler"):
        sample(path, lambda x, t: right, x_t, 2, "heun")


def test_train_dfm_checkpoints_resumes_and_samples(tmp_path):
    """A tiny model on a few files: the CLI trains, validates, checkpoints and resumes; the
    checkpoint loads and generates (unconditionally, and filling the middle between fixed tokens)."""
    import json
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    from codeloop.models.dfm_train import load_dfm
    from codeloop.tokenizer import read_corpus, train_tokenizer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("[a-c]*.py"))[:20]:
        (corpus / path.name).write_text(path.read_text(encoding="utf-8", errors="replace"))
    train_tokenizer(list(read_corpus(sorted(corpus.glob("*.py")))), 400, "gpt4").save(corpus / "tok.json")

    def run(steps, *extra):
        return subprocess.run([sys.executable, "-m", "codeloop", "train", "dfm", "--corpus", str(corpus),
                               "--tokenizer", str(corpus / "tok.json"), "--out", str(tmp_path / "run"), "--steps",
                               str(steps), "--dim", "32", "--n-layers", "2", "--n-heads", "4", "--n-kv-heads", "2",
                               "--seq-len", "24", "--batch-size", "4", "--eval-every", "2", "--eval-batches", "1",
                               "--checkpoint-every", "2", "--val-percent", "20", *extra],
                              capture_output=True, text=True, timeout=300)

    first = run(4)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.splitlines()[-1])["step"] == 4 and "train dfm" in first.stderr
    assert run(6).returncode == 0  # resumes at step 4
    steps = [json.loads(line)["step"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]
    other = run(6, "--loss", "generalized_kl")
    assert other.returncode == 1 and "other settings" in other.stderr

    model, path, tokenizer = load_dfm(tmp_path / "run" / "checkpoint.pt")
    assert path.mask_token == model.mask_token == tokenizer.vocab_size
    generator = torch.Generator().manual_seed(0)
    x = sample(path, model.posterior, path.source((3, 16)), 8, "corrector", generator=generator)
    assert x.shape == (3, 16) and (x != path.mask_token).all() and (x < tokenizer.vocab_size).all()
    given = path.source((2, 16))
    given[:, :4], given[:, -4:] = 5, 7
    fixed = given != path.mask_token
    filled = sample(path, model.posterior, given, 4, "euler", fixed=fixed, generator=generator)
    assert torch.equal(filled[fixed], given[fixed]) and (filled != path.mask_token).all()

    spec = f"dfm:{tmp_path / 'run' / 'checkpoint.pt'}"
    generated = subprocess.run([sys.executable, "-m", "codeloop", "generate", "--model", spec, "--nfe", "4",
                                "--samples", "2", "--length", "12"], capture_output=True, text=True, timeout=120)
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.count("# ---- sample") == 2
    source = tmp_path / "f.py"
    source.write_text("def add(a, b):\n    total = a + b\n    return total\n\nprint(add(1, 2))\n")
    infilled = subprocess.run([sys.executable, "-m", "codeloop", "infill", str(source), "--line", "2-3", "--model",
                               spec, "--nfe", "4", "--sampler", "euler"], capture_output=True, text=True, timeout=120)
    assert infilled.returncode == 0, infilled.stderr
    assert infilled.stdout.startswith("def add(a, b):\n") and infilled.stdout.endswith("\nprint(add(1, 2))\n")
    wrong = subprocess.run([sys.executable, "-m", "codeloop", "infill", str(source), "--line", "4-9", "--model",
                            spec], capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "not within" in wrong.stderr

    from codeloop.llm import SamplingParams, load_model
    backend = load_model(spec, nfe=4)
    replies = backend.chat([{"role": "user", "content": "def f(x):\n"}], SamplingParams(max_tokens=8, n=2, seed=1))
    assert len(replies) == 2 and all(r.completion_tokens <= 8 and r.extra["nfe"] == 4 for r in replies)


@pytest.mark.slow
def test_the_benchmark_smoke_mode_prints_euler_and_corrector_at_equal_nfe(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    from codeloop.llm.embedded import installed
    if not installed("default"):
        pytest.skip("the embedded model scores the samples (codeloop model install)")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "dfm.py"
    done = subprocess.run([sys.executable, str(script), "--smoke", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for sampler in ("euler", "corrector"):
        assert set(result[sampler]) == {"16", "32", "64", "128", "256"}
        assert all(row["gen_ppl"] > 1 and row["entropy"] > 0 for row in result[sampler].values())
    assert result["ar"]["gen_ppl"] > 1 and set(result["infilling"]) == {"body", "arguments", "line"}
    assert 0 <= result["humaneval_pass@1"] <= 1
    assert (tmp_path / "smoke" / "dfm_nfe.svg").read_text().startswith("<svg")
