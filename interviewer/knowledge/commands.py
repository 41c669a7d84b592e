"""`interviewer ingest`, `interviewer sources` and `interviewer search`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interviewer.cli import read_input
from interviewer.errors import InputError
from interviewer.knowledge.corpus import load_questions
from interviewer.knowledge.relevance import MATCH_THRESHOLD
from interviewer.knowledge.sources import source_for
from interviewer.knowledge.store import KnowledgeStore
from interviewer.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="load knowledge files into the vector store, as one "
                                      "source (only that source is added/updated/removed)")
    p.add_argument("paths", nargs="*", type=Path,
                   help="YAML/markdown/HTML files or folders (default: the built-in bank, "
                        "knowledge/questions/)")
    p.add_argument("--source", help="the source's name (default: the file's or folder's name; "
                                    "'pytorch' for the built-in bank)")
    p.add_argument("--skip-unanswered", action="store_true",
                   help="leave out questions whose answer is empty or a placeholder "
                        "instead of failing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("search", help="find knowledge-base questions by meaning")
    p.add_argument("queries", nargs="*", metavar="QUERY")
    p.add_argument("--file", type=Path, help="read one query per line from FILE ('-' for stdin)")
    p.add_argument("--topic", help="only this topic (name or slug)")
    p.add_argument("--source", action="append", help="only this source (repeatable)")
    p.add_argument("-k", type=int, default=5, help="hits per query (default 5)")
    p.add_argument("--all", action="store_true",
                   help=f"show hits below the match threshold ({MATCH_THRESHOLD}) too")
    p.add_argument("--json", action="store_true",
                   help='print [[{"id","score","topic","question","source"}, ...], ...]; '
                        "score is the relevance in [0, 1]; [] when nothing matches")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("sources", help="list the knowledge sources, or remove one")
    p.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    p.add_argument("name", nargs="?", help="the source to remove")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=cmd_sources)


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
    builtin_dir = settings.knowledge_dir / "questions"
    paths = args.paths or [builtin_dir]
    source = source_for(paths, builtin_dir, args.source)
    skipped: list[str] = []
    questions = load_questions(paths, skip_unanswered=args.skip_unanswered, skipped=skipped)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    store = KnowledgeStore(settings)
    update, close = _progress_bar("embedding")
    try:
        summary = store.ingest(questions, progress=update, source=source,
                               origin=", ".join(str(p) for p in paths))
    finally:
        close()
    if args.json:
        from interviewer.cli import print_json

        print_json({"source": source, **summary.to_dict(), "skipped": skipped})
    else:
        c = summary.counts()
        print(f"source {source}: {len(questions)} questions: {c['added']} added, "
              f"{c['updated']} updated, "
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
    if args.source:
        store = store.with_sources(args.source)
    results = store.search(queries, k=args.k, topic=args.topic,
                           min_relevance=None if args.all else MATCH_THRESHOLD)
    if args.json:
        from interviewer.cli import print_json

        print_json([[{"id": h.id, "score": h.score, "topic": h.topic, "question": h.question,
                      "source": h.source} for h in hits] for hits in results])
        return 0
    for query, hits in zip(queries, results):
        print(f"> {query}")
        if not hits:
            print(f"  no match (no question reaches relevance {MATCH_THRESHOLD})")
        for h in hits:
            print(f"  {h.id:>6}  {h.score:.3f}  [{h.topic}] {h.question}")
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.cli import print_json

    store = KnowledgeStore(settings)
    if args.action == "remove":
        if not args.name:
            raise InputError("name the source to remove: interviewer sources remove NAME")
        removed = store.remove_source(args.name)
        if args.json:
            print_json({"removed": args.name, "questions": removed})
        else:
            print(f"removed source {args.name}: {removed} questions")
        return 0
    if args.name:
        raise InputError(f"unexpected {args.name!r}; did you mean: interviewer sources remove "
                         f"{args.name}")
    infos = store.list_sources()
    if args.json:
        print_json([s.to_dict() for s in infos])
        return 0
    if not infos:
        print("no sources yet; run `interviewer ingest`")
    for s in infos:
        tag = " (built-in)" if s.builtin else f" (private to {s.owner})" if s.owner else ""
        print(f"{s.name}{tag}: {_count(s.questions, 'question')} in {_count(s.topics, 'topic')}"
              f"{'  from ' + s.origin if s.origin else ''}")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
