"""Sentence and token vectors from the product's one embedding model, in one forward pass.

The shared `Embedder` (MiniLM) gives whole-text vectors. Grading also needs a vector per
answer sentence and per word piece (for soft word matching), so this module runs the same
loaded model once per text and pools token vectors over any character span. Long texts are
cut into chunks that fit the model's window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interviewer.knowledge.embeddings import Embedder


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


@dataclass(frozen=True)
class Encoded:
    """One text: its vector, its word-piece vectors (unit length) and their char offsets."""

    vec: np.ndarray
    tokens: np.ndarray
    raw: np.ndarray
    offsets: np.ndarray  # (n, 2) character offsets into the text

    def pool(self, start: int, end: int) -> np.ndarray | None:
        """Unit vector of the word pieces inside [start, end), or None when there are none."""
        inside = (self.offsets[:, 0] >= start) & (self.offsets[:, 1] <= end)
        if not inside.any():
            return None
        return _unit(self.raw[inside].mean(axis=0))


class TextEncoder:
    """Runs the embedder's model and keeps token vectors; constructing it loads nothing."""

    def __init__(self, embedder: Embedder, max_tokens: int = 256) -> None:
        self.embedder = embedder
        self.max_tokens = max_tokens

    def encode(self, texts: list[str]) -> list[Encoded]:
        if not texts:
            return []
        import torch

        self.embedder.load()
        model = self.embedder._model  # the one loaded MiniLM; see Embedder.load
        batch = model.tokenizer(texts, padding=True, truncation=True, return_tensors="pt",
                                max_length=min(self.max_tokens, model.max_seq_length),
                                return_offsets_mapping=True)
        offsets = batch.pop("offset_mapping").numpy()
        with torch.inference_mode():
            out = model(dict(batch))
        self.embedder.texts_encoded += len(texts)
        mask = batch["attention_mask"].numpy().astype(bool)
        tok = out["token_embeddings"].float().numpy()
        sent = _unit(out["sentence_embedding"].float().numpy())
        return [self._one(tok[i], offsets[i], mask[i], sent[i]) for i in range(len(texts))]

    @staticmethod
    def _one(tok: np.ndarray, offs: np.ndarray, mask: np.ndarray, vec: np.ndarray) -> Encoded:
        keep = mask & (offs[:, 1] > offs[:, 0])  # drops [CLS], [SEP] and padding
        raw = tok[keep]
        return Encoded(vec=vec, tokens=_unit(raw), raw=raw, offsets=offs[keep])

    def encode_long(self, text: str, spans: list[tuple[int, int]]) -> list[Encoded]:
        """Encode `text` in chunks of whole spans that fit the window; offsets stay global."""
        chunks = _chunk(spans, budget_chars=self.max_tokens * 2)
        encoded = self.encode([text[a:b] for a, b in chunks])
        return [Encoded(e.vec, e.tokens, e.raw, e.offsets + a)
                for e, (a, _) in zip(encoded, chunks)]


def _chunk(spans: list[tuple[int, int]], budget_chars: int) -> list[tuple[int, int]]:
    """Group consecutive spans into (start, end) ranges of at most ~budget_chars."""
    chunks: list[tuple[int, int]] = []
    for a, b in spans:
        if chunks and b - chunks[-1][0] <= budget_chars:
            chunks[-1] = (chunks[-1][0], b)
        else:
            chunks.append((a, b))
    return chunks
