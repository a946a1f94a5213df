"""One round of HuBERT in miniature (Hsu et al., arXiv 2106.07447, section III): a small
transformer encoder learns to predict the k-means units of masked frames, then k-means on one of
its layers gives the next units.

    input     MFCC features (``tokenizer.features``, 39 dims at 25 Hz) projected to ``dim``
    masking   each frame starts a span with probability ``MASK_P`` (8%, section IV-D); spans
              of ``MASK_SPAN`` frames (5 at 25 Hz: HuBERT's 10 frames of 20 ms) are replaced by a
              learnt mask embedding
    encoder   codeloop's Llama blocks without the causal mask (RoPE positions, RMSNorm, SwiGLU)
    loss      cross-entropy of the units at masked frames only (alpha = 1, section II-B)

Training windows are ``WINDOW`` frames cut at random from the utterances joined end to end.
``HubertTokenizer`` is k-means on the ``layer``-th block's output of an unmasked utterance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from codeloop.models.llama import Block, ModelArgs, RMSNorm, register_rope, rope_window
from codeloop.speech.tokenizer import features, nearest

MASK_P, MASK_SPAN, WINDOW = 0.08, 5, 64


class HubertEncoder(nn.Module):
    def __init__(self, units: int, dim: int = 128, n_layers: int = 4, n_heads: int = 4, inputs: int = 39) -> None:
        super().__init__()
        self.args = ModelArgs(dim=dim, n_layers=n_layers, n_heads=n_heads, causal=False, max_seq_len=4096)
        self.project = nn.Linear(inputs, dim)
        self.mask_embedding = nn.Parameter(torch.randn(dim) * 0.02)
        self.layers = nn.ModuleList(Block(self.args) for _ in range(n_layers))
        self.norm = RMSNorm(dim)
        self.head = nn.Linear(dim, units)
        register_rope(self, self.args)

    def hidden(self, frames: torch.Tensor, mask: torch.Tensor | None = None, layer: int | None = None) -> torch.Tensor:
        """(batch, frames, dim): the output of block ``layer`` (1-based; default the last)."""
        h = self.project(frames)
        if mask is not None:
            h = torch.where(mask[..., None], self.mask_embedding.to(h.dtype), h)
        cos, sin = rope_window(self, 0, frames.shape[1])
        for block in self.layers[:layer]:
            h = block(h, cos, sin, 0)
        return h

    def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.hidden(frames, mask)))


def span_mask(batch: int, length: int, generator: torch.Generator) -> torch.Tensor:
    starts = torch.rand(batch, length, generator=generator) < MASK_P
    mask = torch.zeros(batch, length, dtype=torch.bool)
    for offset in range(MASK_SPAN):
        mask[:, offset:] |= starts[:, :length - offset]
    return mask


def train_encoder(audios: list[np.ndarray], units: list[list[int]], n_units: int, steps: int = 600,
                  batch_size: int = 16, lr: float = 1e-3, seed: int = 0, progress: bool = True) -> HubertEncoder:
    """An encoder trained on masked prediction of ``units`` (one per feature frame of each audio)."""
    torch.manual_seed(seed)
    frames = torch.tensor(np.concatenate([features(audio) for audio in audios]), dtype=torch.float32)
    targets = torch.tensor([unit for per in units for unit in per])
    if len(frames) != len(targets) or len(frames) <= WINDOW:
        raise ValueError(f"units: {len(targets)} for {len(frames)} feature frames (need more than {WINDOW})")
    model = HubertEncoder(n_units)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    generator = torch.Generator().manual_seed(seed)
    for step in tqdm(range(steps), desc="hubert", unit="step", disable=not progress):
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / 50)
        starts = torch.randint(0, len(frames) - WINDOW, (batch_size,), generator=generator)
        window = torch.stack([frames[s:s + WINDOW] for s in starts.tolist()])
        wanted = torch.stack([targets[s:s + WINDOW] for s in starts.tolist()])
        mask = span_mask(batch_size, WINDOW, generator)
        loss = F.cross_entropy(model(window, mask)[mask], wanted[mask])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return model.eval()


@dataclass
class HubertTokenizer:
    """k-means centres over an encoder layer's output."""

    encoder: HubertEncoder
    layer: int
    centres: np.ndarray

    @torch.no_grad()
    def frames(self, audio: np.ndarray) -> np.ndarray:
        x = torch.tensor(features(audio), dtype=torch.float32)[None]
        return self.encoder.hidden(x, layer=self.layer)[0].numpy()

    @classmethod
    def fit(cls, encoder: HubertEncoder, audios: list[np.ndarray], units: int, layer: int,
            seed: int = 0) -> HubertTokenizer:
        from sklearn.cluster import KMeans
        tokenizer = cls(encoder, layer, np.zeros((0, encoder.args.dim), dtype=np.float32))
        rows = np.concatenate([tokenizer.frames(audio) for audio in audios])
        tokenizer.centres = KMeans(n_clusters=units, n_init=3, random_state=seed).fit(rows).cluster_centers_
        return tokenizer

    def phonetic(self, audio: np.ndarray) -> list[int]:
        return nearest(self.frames(audio), self.centres)
