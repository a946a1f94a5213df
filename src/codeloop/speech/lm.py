"""The SpiRit-LM miniature's language model: codeloop's Llama over one vocabulary of words and
speech units (arXiv 2402.05755, section 3: a text LM whose vocabulary gains the unit tokens).

A sequence is one token stream: words (the corpus's restricted vocabulary, one token each),
``[HuN]``, ``[PiN]``, ``[StN]`` units, ``[Text]`` and ``[Speech]`` at every change of modality,
and ``<s>`` between documents. Training (``train``) packs documents into one stream and fits
random windows with ``models.training.fit`` (AdamW, cosine, checkpoints, resume); a continued run
starts from another run's weights (the text LM: SpiRit-LM starts from Llama 2).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from codeloop.models.llama import Llama, ModelArgs
from codeloop.models.training import fit
from codeloop.models.training_config import TrainConfig
from codeloop.speech.units import SPEECH, TEXT

SEPARATOR = "<s>"
MAX_POSITIONS = 65536  # the longest max_seq_len a checkpoint may ask for (its RoPE tables are made at load)
_TOKEN = re.compile(r"\[(?:Hu|Pi|St)\d+\]|\[Text\]|\[Speech\]|<s>|[a-z]+|\S")


@dataclass
class Vocabulary:
    tokens: list[str]
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, words: list[str], units: int, pitch_bins: int, styles: int) -> Vocabulary:
        return cls([SEPARATOR, TEXT, SPEECH] + sorted(set(words)) + [f"[Hu{i}]" for i in range(units)]
                   + [f"[Pi{i}]" for i in range(pitch_bins + 1)] + [f"[St{i}]" for i in range(styles)])

    def encode(self, text: str) -> list[int]:
        tokens = _TOKEN.findall(text)
        unknown = [token for token in tokens if token not in self.index]
        if unknown:
            raise ValueError(f"not in the vocabulary: {unknown[:3]}")
        return [self.index[token] for token in tokens]

    def decode(self, ids: list[int]) -> str:
        out, last_word = [], False
        for token in (self.tokens[i] for i in ids):
            word = token[0].isalpha()
            out.append(" " + token if word and last_word else token)
            last_word = word
        return "".join(out)

    def ids(self, prefix: str) -> list[int]:
        """The ids of tokens starting with ``prefix`` (``"[Hu"``: the phonetic units)."""
        return [i for i, token in enumerate(self.tokens) if token.startswith(prefix)]

    def words(self) -> list[int]:
        return [i for i, token in enumerate(self.tokens) if token[0].isalpha()]


def new_model(vocabulary: Vocabulary, dim: int = 256, n_layers: int = 4, n_heads: int = 8,
              max_seq_len: int = 1024, seed: int = 0) -> Llama:
    torch.manual_seed(seed)
    return Llama(ModelArgs(dim=dim, n_layers=n_layers, n_heads=n_heads, vocab_size=len(vocabulary.tokens),
                           max_seq_len=max_seq_len))


def pack(vocabulary: Vocabulary, documents: list[str]) -> torch.Tensor:
    """Documents as one stream, each after ``<s>``."""
    ids: list[int] = []
    for document in documents:
        ids += [vocabulary.index[SEPARATOR], *vocabulary.encode(document)]
    return torch.tensor(ids, dtype=torch.long)


def train(model: Llama, vocabulary: Vocabulary, documents: list[str], validation: list[str], out: Path,
          steps: int, batch_size: int = 16, seq_len: int = 256, lr: float = 2e-3, seed: int = 0,
          progress: bool = True, start: Path | None = None) -> dict:
    """Fit ``model`` on windows of the packed ``documents`` (from ``start``'s weights, a checkpoint
    of another run, if given); ``OUT/checkpoint.pt`` resumes an interrupted run."""
    if start is not None and not (out / "checkpoint.pt").exists():
        model.load_state_dict(torch.load(start, map_location="cpu", weights_only=True)["model"])
    config = TrainConfig(corpus="", tokenizer="", out=str(out), heads=1, dim=model.args.dim,
                         n_layers=model.args.n_layers, n_heads=model.args.n_heads, n_kv_heads=model.args.kv_heads,
                         seq_len=seq_len, batch_size=batch_size, steps=steps, lr=lr, warmup=min(50, steps // 10),
                         eval_every=max(1, steps // 4), checkpoint_every=max(1, steps // 4), seed=seed)
    streams = pack(vocabulary, documents), pack(vocabulary, validation)

    def train_step(tokens: torch.Tensor, generator: torch.Generator) -> float:
        loss = F.cross_entropy(model(tokens[:, :-1]).flatten(0, 1), tokens[:, 1:].flatten())
        loss.backward()
        return loss.item()

    @torch.no_grad()
    def validate() -> float:
        model.eval()
        tokens = streams[1][:len(streams[1]) // seq_len * seq_len].view(-1, seq_len)[:32]
        loss = F.cross_entropy(model(tokens[:, :-1]).flatten(0, 1), tokens[:, 1:].flatten()).item()
        model.train()
        return loss

    result = fit(config, model, out.name, streams, train_step, validate, progress=progress,
                 model_args=asdict(model.args), vocabulary=vocabulary.tokens)
    model.eval()
    return result


def load(path: Path) -> tuple[Llama, Vocabulary]:
    """A trained model (eval mode) and its vocabulary; a file that is not one is a ``ValueError``
    naming it (checked before any weight is allocated: the arguments must match the tensors)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        args = ModelArgs(**state["model_args"])
        tokens, weights = list(state["vocabulary"]), state["model"]
        embedding = weights["tok_embeddings.weight"].shape
        layers = {key.split(".")[1] for key in weights if key.startswith("layers.")}
    except Exception as error:  # torch's own message would suggest unpickling the file
        raise ValueError(f"{path}: not a speech LM checkpoint ({type(error).__name__})") from None
    if tuple(embedding) != (args.vocab_size, args.dim) or len(layers) != args.n_layers \
            or not 0 < args.max_seq_len <= MAX_POSITIONS \
            or len(tokens) != args.vocab_size or len(set(tokens)) != len(tokens) \
            or not {SEPARATOR, TEXT, SPEECH} <= set(tokens) or not all(isinstance(t, str) and t for t in tokens):
        raise ValueError(f"{path}: not a speech LM checkpoint (its arguments, vocabulary and weights disagree)")
    model = Llama(args)
    model.load_state_dict(weights)
    return model.eval(), Vocabulary(tokens)


@torch.no_grad()
def log_likelihoods(model: Llama, vocabulary: Vocabulary, pairs: list[tuple[str, str]],
                    batch_size: int = 32) -> list[float]:
    """log p(continuation | <s> prompt), summed over the continuation's tokens, for each pair."""
    encoded = [([vocabulary.index[SEPARATOR], *vocabulary.encode(prompt)], vocabulary.encode(continuation))
               for prompt, continuation in pairs]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]) + len(encoded[i][1]))
    scores = [0.0] * len(encoded)
    for at in range(0, len(order), batch_size):
        chunk = order[at:at + batch_size]
        rows = [encoded[i][0] + encoded[i][1] for i in chunk]
        width = max(map(len, rows))
        tokens = torch.tensor([row + [0] * (width - len(row)) for row in rows])
        logp = F.log_softmax(model(tokens[:, :-1]).float(), -1).gather(-1, tokens[:, 1:, None])[..., 0]
        for row, i in enumerate(chunk):
            begin, end = len(encoded[i][0]) - 1, len(rows[row]) - 1
            scores[i] = float(logp[row, begin:end].sum())
    return scores


@torch.inference_mode()
def generate(model: Llama, vocabulary: Vocabulary, prompt: str, allowed: list[int], stop: list[int],
             max_new: int, counted: list[int] | None = None, window: int | None = None) -> list[int]:
    """Greedy continuation of ``<s> prompt`` among ``allowed`` tokens, until a ``stop`` token (not
    returned), ``max_new`` tokens (of ``counted`` only, if given) or a sequence of ``window``
    tokens (default: the model's longest)."""
    ids = [vocabulary.index[SEPARATOR], *vocabulary.encode(prompt)]
    window = min(window or model.args.max_seq_len, model.args.max_seq_len)
    counts = set(counted if counted is not None else allowed)
    caches = model.new_caches(1, window)
    mask = torch.full((len(vocabulary.tokens),), float("-inf"))
    mask[allowed + stop] = 0.0
    if len(ids) >= window:
        return []
    logits, out, position, made = model(torch.tensor([ids]), 0, caches)[0, -1], [], len(ids), 0
    while made < max_new and position < window:
        token = int((logits + mask).argmax())
        if token in stop:
            break
        out.append(token)
        made += token in counts
        logits = model(torch.tensor([[token]]), position, caches)[0, -1]
        position += 1
    return out
