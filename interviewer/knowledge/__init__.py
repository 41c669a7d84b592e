"""The knowledge base: question records, parsing, loading, and the Chroma store."""

from interviewer.knowledge.corpus import load_questions
from interviewer.knowledge.models import CuratedQuestion, Question, topic_slug
from interviewer.knowledge.store import Hit, IngestSummary, KnowledgeStore

__all__ = ["CuratedQuestion", "Hit", "IngestSummary", "KnowledgeStore", "Question",
           "load_questions", "topic_slug"]
