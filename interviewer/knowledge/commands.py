"""`interviewer ingest` and `interviewer search`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interviewer.cli import read_input
from interviewer.errors import InputError
from interviewer.knowledge.corpus import load_questions
from interviewer.knowledge.store import KnowledgeStore
from interviewer.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="load knowledge files into the vector store")
    p.add_argument("paths", nargs="*", type=Path,
                   help="YAML/markdown files or folders (default: the knowledge/ folder)")
    p.add_argument("--skip-unanswered", action="store_true",
                   help="leave out questions whose answer is empty or a placeholder "
                        "instead of failing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("search", help="find knowledge-base questions by meaning")
    p.add_argument("queries", nargs="*", metavar="QUERY")
    p.add_argument("--file", type=Path, help="read one query per line from FILE ('-' for stdin)")
    p.add_argument("--topic", help="only this topic (name or slug)")
    p.add_argument("-k", type=int, default=5, help="hits per query (default 5)")
    p.add_argument("--json", action="store_true",
                   help='print [[{"id","score","topic","question"}, ...], ...]')
    p.set_defaults(handler=cmd_search)


def _progress_bar(total_label: str):
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(desc=total_label, unit="q", file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return update, bar.close


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    paths = args.paths or [settings.knowledge_dir / "questions"]
    questions = load_questions(paths, skip_unanswered=args.skip_unanswered)
    store = KnowledgeStore(settings)
    update, close = _progress_bar("embedding")
    try:
        summary = store.ingest(questions, progress=update)
    finally:
        close()
    if args.json:
        from interviewer.cli import print_json

        print_json(summary.to_dict())
    else:
        c = summary.counts()
        print(f"{len(questions)} questions: {c['added']} added, {c['updated']} updated, "
              f"{c['removed']} removed, {c['unchanged']} unchanged "
              f"({c['embedded_texts']} texts embedded in {c['seconds']:.2f} s)")
    return 0


def _read_queries(args: argparse.Namespace) -> list[str]:
    queries = list(args.queries)
    if args.file:
        text = read_input(args.file, "queries")
        queries += [line.strip() for line in text.splitlines() if line.strip()]
    if not queries:
        raise InputError("give at least one QUERY, or --file FILE with one query per line")
    return queries


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    if args.k < 1:
        raise InputError("-k must be at least 1")
    queries = _read_queries(args)
    store = KnowledgeStore(settings)
    if store.collection.count() == 0:
        raise InputError("the knowledge base is empty; run `interviewer ingest` first")
    results = store.search(queries, k=args.k, topic=args.topic)
    if args.json:
        from interviewer.cli import print_json

        print_json([[{"id": h.id, "score": h.score, "topic": h.topic, "question": h.question}
                     for h in hits] for hits in results])
        return 0
    for query, hits in zip(queries, results):
        print(f"> {query}")
        for h in hits:
            print(f"  {h.id:>6}  {h.score:.3f}  [{h.topic}] {h.question}")
    return 0
