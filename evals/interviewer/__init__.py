"""The interviewer eval: scripted candidates of eight types run whole interviews through the
real engine (real Chroma store, real offline grader, real follow-up rubrics), and we measure
the interviewer, not the grader: does the report name the topic the candidate is weakest on,
and how often does the interviewer fail (reference leaked before an answer, the same
question asked twice, a loop, praise on a score below 2.5, a "missing" point the answer
contains, a follow-up graded on the wrong rubric)?

Answers come only from sets no fit has used: evals/data/dev.jsonl and
evals/data/extra/ordinary-dev.jsonl (never train.jsonl), so interviews use the 30 dev
questions only.

    python -m evals.interviewer --out evals/reports/interviewer.json --gate
"""
