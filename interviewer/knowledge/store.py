"""The knowledge base in Chroma: sources, incremental ingest and retrieval by meaning.

Each question belongs to a source (`interviewer.knowledge.sources`) and is stored as one
document per facet (today one: the question with its reference answer, which retrieved best
of the variants measured in bench/bench_retrieval.py), with the id
``<source>/<content-hash>:<facet>``. The content hash covers every field of the question, so
an unchanged question is never embedded again, a changed one is replaced, and a removed one
is deleted; an ingest reads and writes only its own source. A search takes dense candidates
from Chroma, re-ranks them with cosine similarity plus a small BM25 term over the document,
key points and torch symbols, and reports a relevance in [0, 1]
(`interviewer.knowledge.relevance`).

Stores written before sources existed (ids ``<content-hash>:qa``) are migrated when opened:
their documents move to the built-in source with their embeddings (nothing is re-embedded).
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
from interviewer.knowledge.relevance import is_match, relevance, strip_frame
from interviewer.knowledge.sources import BUILTIN, canonical_id, check_source_name, qualify
from interviewer.settings import Settings
from interviewer.topics import resolve_topic

FACETS: dict[str, Callable[[Question], str]] = {
    "qa": lambda q: f"{q.question}\n{q.reference}",
}
LEXICAL_WEIGHT = 0.02  # weight of BM25 next to cosine similarity
CANDIDATES = 30  # dense candidates re-ranked per query
# Collection metadata "interviewer_schema": 2 = ids and metadata carry the source; 3 = every
# document carries its source's owner ("" = public). Older stores are migrated on open.
SCHEMA = 3


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
    """A search result. `score` is the relevance in [0, 1] (see `relevance`), computed from
    `subject` (the score of the query without its question frame); `raw` is the ranking
    score (cosine similarity plus the BM25 bonus)."""

    id: str
    score: float
    topic: str
    question: str
    source: str = BUILTIN
    raw: float = 0.0
    subject: float = 0.0

    @property
    def is_match(self) -> bool:
        """Whether the hit is about what was asked (relevance at or above the threshold)."""
        return is_match(self.score)


@dataclass(frozen=True)
class SourceInfo:
    name: str
    questions: int
    topics: int
    builtin: bool
    origin: str  # the path it was ingested from ("" when unknown)
    owner: str = ""  # "" = public; else only this user sees it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    """Questions in a Chroma collection. Nothing connects until first use.

    `sources` limits what search, topics and selection see (None: every source, or with
    `public_only` every public one); a scoped copy that shares the connection comes from
    `with_sources`. A source is public unless it was ingested with an `owner`.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None, client=None,
                 sources: Sequence[str] | None = None, *, public_only: bool = False) -> None:
        self.settings = settings
        self.sources = tuple(sources) if sources else None
        self.public_only = public_only and not self.sources
        self.embedder = embedder or Embedder(settings.embed_model, threads=settings.torch_threads)
        self._client = client
        self._collection = None
        # What is stored, read once and kept until the next ingest: the BM25 index and the
        # topics come from it, so a search does no extra reads. (Another process's ingest
        # into a shared Chroma server is seen after a restart.)
        self._snapshot: dict[str, Any] | None = None
        self._lexical: tuple[BM25, dict[str, int]] | None = None
        self._lock = threading.Lock()  # Chroma's first open is not thread-safe
        self._views: dict[tuple[tuple[str, ...], bool], KnowledgeStore] = {}  # with_sources

    @property
    def collection(self):
        with self._lock:
            if self._collection is None:
                if self._client is None:
                    self._client = make_client(self.settings)
                col = self._client.get_or_create_collection(
                    self.settings.collection,
                    embedding_function=make_embedding_function(self.embedder),
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"interviewer_schema": SCHEMA},
                )
                migrate(col)
                self._collection = col
            return self._collection

    def with_sources(self, sources: Sequence[str] | None, *, viewer: str | None = None,
                     check: bool = True) -> "KnowledgeStore":
        """A view of this store limited to `sources`, as seen by `viewer` (a user id):
        - sources given: those sources; with `check`, each must exist and be public or the
          viewer's own (else an InputError naming the choices);
        - no sources and a viewer: every public source (others' private sources never);
        - no sources and no viewer: this store itself (every source).
        Views share the client and are kept until the next ingest."""
        names = tuple(sorted(set(sources or ())))
        if not names and viewer is None:
            return self
        if names and check:
            visible = {s.name for s in self.list_sources(viewer)}
            for name in names:
                if name not in visible:
                    choices = ", ".join(sorted(visible)) or "(none: run interviewer ingest)"
                    raise InputError(f"unknown source {name!r}; choose one of: {choices}")
        key = (names, not names)
        view = self._views.get(key)
        if view is None:
            view = KnowledgeStore(self.settings, self.embedder, self._client, names,
                                  public_only=not names)
            view._collection = self.collection
            self._views[key] = view
        return view

    def _existing(self, source: str, owner: str | None = None) -> dict[str, tuple[str, str]]:
        """chroma id -> (question id, content hash) for everything stored in `source`; with
        `owner`, the source must be that owner's (or new)."""
        got = self.collection.get(where={"source": source}, include=["metadatas"])
        if owner is not None and got["metadatas"] and got["metadatas"][0].get("owner", "") != owner:
            raise InputError(f"the source name {source!r} is taken; choose another name")
        return {cid: (m["qid"], m["content_hash"]) for cid, m in zip(got["ids"], got["metadatas"])}

    def ingest(self, questions: Sequence[Question],
               progress: Callable[[int, int], None] | None = None, *,
               source: str = BUILTIN, origin: str = "", owner: str = "") -> IngestSummary:
        """Make `source` hold exactly `questions` (ids are local to the source); embed only
        what is new or changed. Other sources are neither read nor written. With `owner`
        the source is private to that user id (a name another owner holds is refused)."""
        check_source_name(source)
        if owner and source == BUILTIN:
            raise InputError(f"{BUILTIN!r} is the built-in bank; a private source needs its own "
                             "name")
        start = time.perf_counter()
        existing = self._existing(source, owner)
        old_hash_by_qid = {qid: h for qid, h in existing.values()}
        new_hashes = {q.content_hash(): q for q in questions}
        summary = IngestSummary()
        stored = set(existing)
        to_add = [q for h, q in new_hashes.items()
                  if any(f"{source}/{h}:{facet}" not in stored for facet in FACETS)]
        adding = {q.id for q in to_add}
        for q in questions:
            qid = qualify(source, q.id)
            if q.id in adding:
                (summary.updated if qid in old_hash_by_qid else summary.added).append(qid)
            else:
                summary.unchanged.append(qid)
        new_qids = {qualify(source, q.id) for q in questions}
        summary.removed = sorted(qid for qid in old_hash_by_qid if qid not in new_qids)
        stale = [cid for cid, (_, h) in existing.items() if h not in new_hashes]
        self._add(to_add, summary, progress, source, origin, owner)
        if stale:
            self.collection.delete(ids=stale)
        self._snapshot = self._lexical = None
        self._views.clear()
        summary.seconds = time.perf_counter() - start
        return summary

    def _add(self, questions: list[Question], summary: IngestSummary,
             progress: Callable[[int, int], None] | None, source: str, origin: str,
             owner: str, batch: int = 256) -> None:
        for i in range(0, len(questions), batch):
            chunk = questions[i:i + batch]
            ids, docs, metas = [], [], []
            for q in chunk:
                h = q.content_hash()
                for facet, text in FACETS.items():
                    ids.append(f"{source}/{h}:{facet}")
                    docs.append(text(q))
                    metas.append({"qid": qualify(source, q.id), "local_id": q.id,
                                  "source": source, "origin": origin, "owner": owner,
                                  "content_hash": h, "facet": facet,
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
        """Number of distinct questions stored (in this view's sources)."""
        return len({m["qid"] for m in self.snapshot()["metadatas"]})

    def snapshot(self) -> dict[str, Any]:
        """Every stored document of this view's sources with its metadata."""
        snap = self._snapshot
        if snap is None:
            snap = self._snapshot = self.collection.get(where=self._source_filter(),
                                                        include=["documents", "metadatas"])
        return snap

    def _source_filter(self) -> dict[str, Any] | None:
        if self.public_only:
            return {"owner": ""}
        if not self.sources:
            return None
        return {"source": self.sources[0]} if len(self.sources) == 1 else \
            {"source": {"$in": list(self.sources)}}

    def list_sources(self, viewer: str | None = None) -> list[SourceInfo]:
        """The sources in the store, the built-in bank first: every one (no `viewer`), or
        those `viewer` may use (public ones and their own)."""
        got = self.collection.get(include=["metadatas"])
        by_source: dict[str, list[dict]] = {}
        for m in got["metadatas"]:
            if viewer is None or m.get("owner", "") in ("", viewer):
                by_source.setdefault(m["source"], []).append(m)
        return [SourceInfo(name, len({m["qid"] for m in ms}), len({m["topic_slug"] for m in ms}),
                           name == BUILTIN, ms[0].get("origin", ""), ms[0].get("owner", ""))
                for name, ms in sorted(by_source.items(), key=lambda kv: (kv[0] != BUILTIN, kv[0]))]

    def remove_source(self, name: str) -> int:
        """Delete every question of source `name`; returns how many. Others are untouched."""
        existing = self._existing(name)
        if not existing:
            known = ", ".join(s.name for s in self.list_sources()) or "(none)"
            raise InputError(f"no source named {name!r}; the store has: {known}")
        self.collection.delete(ids=list(existing))
        self._snapshot = self._lexical = None
        self._views.clear()
        return len({qid for qid, _ in existing.values()})

    def get_question(self, qid: str) -> Question:
        """A question rebuilt from its stored document ('Q17', 'pytorch/Q17', 'notes/Q3')."""
        got = self.collection.get(where={"$and": [{"qid": canonical_id(qid)}, {"facet": "qa"}]},
                                  include=["metadatas", "documents"])
        if not got["ids"]:
            raise InputError(f"no question {qid!r} in the knowledge base")
        meta, doc = got["metadatas"][0], got["documents"][0]
        reference = doc[len(meta["question"]):].strip() or doc
        return Question(id=meta["qid"], topic=meta["topic"], question=meta["question"],
                        reference=reference, difficulty=int(meta.get("difficulty", 2)))

    def question_ids(self, topic_slug: str, difficulty: int,
                     exclude: Sequence[str] = ()) -> list[str]:
        """Ids of this view's questions of a topic and difficulty, sorted, without `exclude`
        (from the stored metadata: no model, no query)."""
        skip = set(exclude)
        return sorted({m["qid"] for m in self.snapshot()["metadatas"]
                       if m["topic_slug"] == topic_slug and int(m.get("difficulty", 2)) ==
                       difficulty and m["qid"] not in skip})

    def topics(self) -> dict[str, str]:
        """slug -> topic name of everything stored (in this view's sources)."""
        return {m["topic_slug"]: m["topic"] for m in self.snapshot()["metadatas"]}

    def resolve_topic(self, topic: str) -> str:
        """Accept a topic's name, slug, a short form ("cnn", "tensor-ops", "autograd") or a
        unique part of it; return its slug or raise naming the choices."""
        return resolve_topic(topic, self.topics())  # the one rule, shared with exercises

    def lexical(self) -> tuple[BM25, dict[str, int]]:
        """The BM25 index over everything stored (built once per store, rebuilt after ingest)."""
        lexical = self._lexical
        if lexical is None:
            got = self.snapshot()
            texts = [f"{d}\n{m.get('keywords', '')}" for d, m in zip(got["documents"], got["metadatas"])]
            lexical = self._lexical = (BM25(texts), {cid: i for i, cid in enumerate(got["ids"])})
        return lexical

    def search(self, queries: Sequence[str], k: int = 5, topic: str | None = None,
               where: dict[str, Any] | None = None,
               min_relevance: float | None = None) -> list[list[Hit]]:
        """Top-k questions per query, best first (by cosine similarity plus a small BM25
        bonus for shared rare words). Each hit's score is its relevance in [0, 1]; with
        `min_relevance`, hits below it are left out (a query may then get no hits)."""
        if not queries:
            return []
        subjects = [strip_frame(q) for q in queries]
        vectors, subject_vectors = self._encode(list(queries), subjects)
        bm25, row_of = self.lexical()
        n = min(max(CANDIDATES, k * len(FACETS)), max(1, len(row_of)))
        res = self.collection.query(query_embeddings=vectors, n_results=n,
                                    where=self._where(topic, where),
                                    include=["metadatas", "distances", "embeddings"])
        out: list[list[Hit]] = []
        for i, query in enumerate(queries):
            scorer = _Scorer(query, subjects[i], subject_vectors[i], bm25, row_of)
            best: dict[str, Hit] = {}
            for cid, m, d, e in zip(res["ids"][i], res["metadatas"][i], res["distances"][i],
                                    res["embeddings"][i]):
                hit = scorer.hit(cid, m, float(d), e)
                if m["qid"] not in best or hit.raw > best[m["qid"]].raw:
                    best[m["qid"]] = hit
            ranked = sorted(best.values(), key=lambda h: -h.raw)[:k]
            out.append([h for h in ranked if min_relevance is None or h.score >= min_relevance])
        return out

    def _where(self, topic: str | None, where: dict[str, Any] | None) -> dict[str, Any] | None:
        topic_flt = {"topic_slug": self.resolve_topic(topic)} if topic else None
        filters = [f for f in (where, topic_flt, self._source_filter()) if f]
        return filters[0] if len(filters) == 1 else ({"$and": filters} if filters else None)

    def _encode(self, queries: list[str], subjects: list[str]) -> tuple[list, list]:
        """Vectors of the queries and of their subjects (encoded only when a frame was cut)."""
        framed = [s for q, s in zip(queries, subjects) if s != q]
        encoded = self.embedder.encode([*queries, *framed])
        extra = iter(encoded[len(queries):])
        vectors = list(encoded[:len(queries)])
        return vectors, [next(extra) if s != q else v
                         for q, s, v in zip(queries, subjects, vectors)]


@dataclass(frozen=True)
class _Scorer:
    """Scores one query's candidates: the ranking score, and the subject score that
    relevance comes from."""

    query: str
    subject: str
    subject_vector: Any
    bm25: BM25
    row_of: dict[str, int]

    def hit(self, cid: str, m: dict[str, Any], distance: float, embedding) -> Hit:
        row = self.row_of.get(cid)
        lex = self.bm25.score(self.query, row) if row is not None else 0.0
        raw = round(1.0 - distance + LEXICAL_WEIGHT * lex, 4)
        sub_lex = self.bm25.score(self.subject, row) if row is not None else 0.0
        sub = float(self.subject_vector @ embedding) + LEXICAL_WEIGHT * sub_lex
        return Hit(m["qid"], relevance(sub), m["topic"], m["question"],
                   m.get("source", BUILTIN), raw, round(sub, 4))


def migrate(col) -> None:
    """Bring a collection up to SCHEMA, one numbered step at a time."""
    version = (col.metadata or {}).get("interviewer_schema", 1)
    for step in MIGRATIONS[version - 1:SCHEMA - 1]:
        step(col)
    if version < SCHEMA:
        col.modify(metadata={"interviewer_schema": SCHEMA})


def migrate_to_sources(col) -> None:
    """1 -> 2: documents without a source move to the built-in bank (questions with key
    points, i.e. curated ones) or to the source "imported" (parsed markdown), under ids
    that carry the source; embeddings are copied, not recomputed."""
    got = col.get(include=["metadatas", "documents", "embeddings"])
    old = [i for i, m in enumerate(got["metadatas"]) if "source" not in m]
    for start in range(0, len(old), 256):
        rows = old[start:start + 256]
        ids, metas = [], []
        for i in rows:
            m = dict(got["metadatas"][i])
            source = BUILTIN if m.get("keywords") else "imported"
            m.update(source=source, local_id=m["qid"], qid=qualify(source, m["qid"]), origin="")
            ids.append(f"{source}/{got['ids'][i]}")
            metas.append(m)
        col.upsert(ids=ids, metadatas=metas, documents=[got["documents"][i] for i in rows],
                   embeddings=[got["embeddings"][i] for i in rows])
        col.delete(ids=[got["ids"][i] for i in rows])


def migrate_add_owner(col) -> None:
    """2 -> 3: every document without an owner is public (owner "")."""
    got = col.get(include=["metadatas"])
    rows = [(cid, {**m, "owner": ""}) for cid, m in zip(got["ids"], got["metadatas"])
            if "owner" not in m]
    for start in range(0, len(rows), 256):
        chunk = rows[start:start + 256]
        col.update(ids=[c for c, _ in chunk], metadatas=[m for _, m in chunk])


MIGRATIONS = [migrate_to_sources, migrate_add_owner]  # step i takes schema i+1 to i+2
