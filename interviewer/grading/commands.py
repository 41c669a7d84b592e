"""`interviewer grade`: grade one answer, for a knowledge-base question or an ad-hoc pair."""

from __future__ import annotations

import argparse
import sys

from interviewer.errors import InputError
from interviewer.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="grade one answer against a reference")
    p.add_argument("--question-id", help="a knowledge-base question id, e.g. Q17")
    p.add_argument("--question", help="question text (generic mode, with --reference)")
    p.add_argument("--reference", help="reference answer (generic mode)")
    p.add_argument("--answer", required=True, help="the answer text, or '-' to read stdin")
    p.add_argument("--json", action="store_true", help="print the grade as JSON")
    p.set_defaults(handler=cmd_grade)


def _question(args: argparse.Namespace, settings: Settings):
    from interviewer.knowledge import Question, load_questions

    if args.reference or args.question:
        if args.question_id or not (args.reference and args.question):
            raise InputError("give --question-id, or both --question and --reference")
        return Question(id="adhoc", topic="generic", question=args.question,
                        reference=args.reference)
    if not args.question_id:
        raise InputError("give --question-id, or both --question and --reference")
    from interviewer.knowledge.sources import BUILTIN, split_id

    source, local_id = split_id(args.question_id)
    if source != BUILTIN:  # a question of an ingested source (my-notes/Q3): from the store
        from interviewer.knowledge.store import KnowledgeStore

        return KnowledgeStore(settings).get_question(args.question_id)
    folder = settings.knowledge_dir / "questions"
    for q in load_questions([folder]):
        if q.id == local_id:
            return q
    raise InputError(f"unknown question id {args.question_id!r} (looked in {folder})")


def cmd_grade(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.grading import make_grader

    answer = sys.stdin.read() if args.answer == "-" else args.answer
    question = _question(args, settings)
    grade = make_grader(settings).grade(question, answer)
    if args.json:
        from interviewer.cli import print_json

        print_json({"question_id": question.id, **grade.to_dict()})
        return 0
    print(f"score: {grade.score:.2f} / 5  ({grade.grader}{', fallback' if grade.fallback else ''})")
    for p in grade.points:
        print(f"  [{p.verdict:8s}] {p.point}")
    for m in grade.misconceptions:
        print(f"  [wrong   ] {m.misconception}")
    print(grade.feedback)
    return 0
