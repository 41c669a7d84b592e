"""The interview engine: a state machine over a stored session that emits typed events.

Front ends (terminal, Gradio, Slack) use `Interviewer` (or `make_interviewer(settings)`) and
render `interviewer.engine.events`; they hold no interview logic. See `interview.py`.
"""

from interviewer.engine.brain import Brain, LLMBrain, OfflineBrain
from interviewer.engine.events import (EVENT_KINDS, CodeResult, Event, ExerciseOffered,
                                       FollowUpAsked, GradeReady, HintGiven, Notice,
                                       QuestionAsked, ReferenceShown, ReportReady, TextDelta)
from interviewer.engine.exercises import CodeOutcome, CodeRunner, Exercise
from interviewer.engine.factory import make_brain, make_interviewer
from interviewer.engine.interview import Interviewer
from interviewer.engine.report import Report
from interviewer.engine.state import Plan

__all__ = ["EVENT_KINDS", "Brain", "CodeOutcome", "CodeResult", "CodeRunner", "Event",
           "Exercise", "ExerciseOffered", "FollowUpAsked", "GradeReady", "HintGiven",
           "Interviewer", "LLMBrain", "Notice", "OfflineBrain", "Plan", "QuestionAsked",
           "ReferenceShown", "Report", "ReportReady", "TextDelta", "make_brain",
           "make_interviewer"]
