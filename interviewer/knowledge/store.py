"""The knowledge base in Chroma: incremental ingest and retrieval by meaning.

Each question is stored as one document per facet (today one: the question with its
reference answer, which retrieved best of the variants measured in bench/bench_retrieval.py),
with the id ``<content-hash>:<facet>``. The content hash covers every field of the question,
so an unchanged question is never embedded again, a changed one is replaced, and a removed one
is deleted. A search takes dense candidates from Chroma and re-ranks them with cosine
similarity plus a small BM25 term over the document, key points and torch symbols.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

from interviewer.errors import ConfigError, InputError, ServiceError
from interviewer.knowledge.embeddings import Embedder
from interviewer.knowledge.lexical import BM25
from interviewer.knowledge.models import Question, topic_slug
from interviewer.settings import Settings

FACETS: dict[str, Callable[[Question], str]] = {
    "qa": lambda q: f"{q.question}\n{q.reference}",
}
LEXICAL_WEIGHT = 0.02  # weight of BM25 next to cosine similarity
CANDIDATES = 30  # dense candidates re-ranked per query


def make_embedding_function(embedder: Embedder):
    """Wrap our embedder in Chroma's EmbeddingFunction interface (it is always passed
    explicitly, so Chroma never falls back to its own downloading default)."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class InterviewerEmbedding(EmbeddingFunction[Documents]):
        def __init__(self, emb: Embedder) -> None:
            self._emb = emb

        def __call__(self, input: Documents) -> Embeddings:
            return list(self._emb.encode(list(input)))

        @staticmethod
        def name() -> str:
            return "torch-interviewer-sentence-transformer"

        def get_config(self) -> dict[str, Any]:
            return {"model": self._emb.model_name}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> "InterviewerEmbedding":
            return InterviewerEmbedding(Embedder(config.get("model", "all-MiniLM-L6-v2")))

        def default_space(self) -> str:
            return "cosine"

    return InterviewerEmbedding(embedder)


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    topic: str
    question: str


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    embedded_texts: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int | float]:
        return {"added": len(self.added), "updated": len(self.updated),
                "removed": len(self.removed), "unchanged": len(self.unchanged),
                "embedded_texts": self.embedded_texts, "seconds": round(self.seconds, 3)}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), **{"counts": self.counts()}}


def _stem(word: str) -> str:
    if word.endswith("es") and len(word) > 4:
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _abbreviates(short: str, slug: str) -> bool:
    """'cnn' ~ convolutional-neural-networks; 'tensor-ops', 'losses-optim', 'nn-layers' ~
    each part is a word prefix, or the initials of a run of words, in order."""
    return _parts_match(short.split("-"), slug.split("-"))


def _parts_match(parts: list[str], words: list[str]) -> bool:
    if not parts:
        return True
    part = parts[0]
    for i, word in enumerate(words):
        if _stem(word).startswith(_stem(part)) and _parts_match(parts[1:], words[i + 1:]):
            return True
        for k in range(2, len(words) - i + 1):
            initials = "".join(w[0] for w in words[i:i + k])
            if initials == part and _parts_match(parts[1:], words[i + k:]):
                return True
    return False


def make_client(settings: Settings):
    """A Chroma client: a server when CHROMA_URL is set, else a persistent local store."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"CHROMA_URL={settings.chroma_url!r} must look like "
                              "http://HOST:PORT")
        try:
            return chromadb.HttpClient(host=url.hostname, port=url.port or 8000,
                                       ssl=url.scheme == "https", settings=chroma_settings)
        except Exception as e:  # chromadb raises plain exceptions for connection failures
            raise ServiceError(f"cannot reach the Chroma server at {settings.chroma_url}: {e}") from e
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class KnowledgeStore:
    """Questions in a Chroma collection. Nothing connects until first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, client=None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embed_model, threads=settings.torch_threads)
        self._client = client
        self._collection = None
        # What is stored, read once and kept until the next ingest: the BM25 index and the
        # topics come from it, so a search does no extra reads. (Another process's ingest
        # into a shared Chroma server is seen after a restart.)
        self._snapshot: dict[str, Any] | None = None
        self._lexical: tuple[BM25, dict[str, int]] | None = None
        self._lock = threading.Lock()  # Chroma's first open is not thread-safe

    @property
    def collection(self):
        with self._lock:
            if self._collection is None:
                if self._client is None:
                    self._client = make_client(self.settings)
                self._collection = self._client.get_or_create_collection(
                    self.settings.collection,
                    embedding_function=make_embedding_function(self.embedder),
                    configuration={"hnsw": {"space": "cosine"}},
                )
            return self._collection

    def _existing(self) -> dict[str, tuple[str, str]]:
        """chroma id -> (question id, content hash) for everything stored."""
        got = self.collection.get(include=["metadatas"])
        return {cid: (m["qid"], m["content_hash"]) for cid, m in zip(got["ids"], got["metadatas"])}

    def ingest(self, questions: Sequence[Question],
               progress: Callable[[int, int], None] | None = None) -> IngestSummary:
        """Make the store hold exactly `questions`; embed only what is new or changed."""
        start = time.perf_counter()
        existing = self._existing()
        old_hash_by_qid = {qid: h for qid, h in existing.values()}
        new_hashes = {q.content_hash(): q for q in questions}
        summary = IngestSummary()
        stored = set(existing)
        to_add = [q for h, q in new_hashes.items()
                  if any(f"{h}:{facet}" not in stored for facet in FACETS)]
        adding = {q.id for q in to_add}
        for q in questions:
            if q.id in adding:
                (summary.updated if q.id in old_hash_by_qid else summary.added).append(q.id)
            else:
                summary.unchanged.append(q.id)
        new_qids = {q.id for q in questions}
        summary.removed = sorted(qid for qid in old_hash_by_qid if qid not in new_qids)
        stale = [cid for cid, (_, h) in existing.items() if h not in new_hashes]
        self._add(to_add, summary, progress)
        if stale:
            self.collection.delete(ids=stale)
        self._snapshot = self._lexical = None
        summary.seconds = time.perf_counter() - start
        return summary

    def _add(self, questions: list[Question], summary: IngestSummary,
             progress: Callable[[int, int], None] | None, batch: int = 256) -> None:
        for i in range(0, len(questions), batch):
            chunk = questions[i:i + batch]
            ids, docs, metas = [], [], []
            for q in chunk:
                h = q.content_hash()
                for facet, text in FACETS.items():
                    ids.append(f"{h}:{facet}")
                    docs.append(text(q))
                    metas.append({"qid": q.id, "content_hash": h, "facet": facet,
                                  "topic": q.topic, "topic_slug": q.topic_slug,
                                  "difficulty": q.difficulty, "question": q.question,
                                  "keywords": " ".join([*q.key_points, *q.symbols])})
            vectors = self.embedder.encode(docs)
            summary.embedded_texts += len(docs)
            self.collection.upsert(ids=ids, documents=docs, metadatas=metas,
                                   embeddings=[v for v in vectors])
            if progress:
                progress(min(i + batch, len(questions)), len(questions))

    def count(self) -> int:
        """Number of distinct questions stored."""
        return len({qid for qid, _ in self._existing().values()})

    def snapshot(self) -> dict[str, Any]:
        """Every stored document with its metadata (ids, documents, metadatas)."""
        snap = self._snapshot
        if snap is None:
            snap = self._snapshot = self.collection.get(include=["documents", "metadatas"])
        return snap

    def topics(self) -> dict[str, str]:
        """slug -> topic name of everything stored."""
        return {m["topic_slug"]: m["topic"] for m in self.snapshot()["metadatas"]}

    def resolve_topic(self, topic: str) -> str:
        """Accept a topic's name, slug, a short form ("cnn", "tensor-ops", "autograd") or a
        unique part of it; return its slug or raise naming the choices."""
        known = self.topics()
        slug = topic_slug(topic)
        if slug in known:
            return slug
        matches = [s for s in known if slug and _abbreviates(slug, s)]
        if len(matches) == 1:
            return matches[0]
        raise InputError(f"unknown topic {topic!r}; choose one of: {', '.join(sorted(known))}")

    def lexical(self) -> tuple[BM25, dict[str, int]]:
        """The BM25 index over everything stored (built once per store, rebuilt after ingest)."""
        lexical = self._lexical
        if lexical is None:
            got = self.snapshot()
            texts = [f"{d}\n{m.get('keywords', '')}" for d, m in zip(got["documents"], got["metadatas"])]
            lexical = self._lexical = (BM25(texts), {cid: i for i, cid in enumerate(got["ids"])})
        return lexical

    def search(self, queries: Sequence[str], k: int = 5, topic: str | None = None,
               where: dict[str, Any] | None = None) -> list[list[Hit]]:
        """Top-k questions per query, best first. The score is cosine similarity (1 = same
        meaning) plus a small BM25 bonus for shared rare words."""
        if not queries:
            return []
        filters = [f for f in (where, {"topic_slug": self.resolve_topic(topic)} if topic else None) if f]
        flt = filters[0] if len(filters) == 1 else ({"$and": filters} if filters else None)
        vectors = self.embedder.encode(list(queries))
        bm25, row_of = self.lexical()
        n = min(max(CANDIDATES, k * len(FACETS)), max(1, len(row_of)))
        res = self.collection.query(query_embeddings=[v for v in vectors], n_results=n,
                                    where=flt, include=["metadatas", "distances"])
        out: list[list[Hit]] = []
        for query, cids, metas, dists in zip(queries, res["ids"], res["metadatas"], res["distances"]):
            best: dict[str, Hit] = {}
            for cid, m, d in zip(cids, metas, dists):
                lex = bm25.score(query, row_of[cid]) if cid in row_of else 0.0
                hit = Hit(m["qid"], round(1.0 - float(d) + LEXICAL_WEIGHT * lex, 4),
                          m["topic"], m["question"])
                if m["qid"] not in best or hit.score > best[m["qid"]].score:
                    best[m["qid"]] = hit
            out.append(sorted(best.values(), key=lambda h: -h.score)[:k])
        return out
