"""The simulated-candidate eval: scripted candidates with known strengths and weaknesses per
topic run whole interviews; we measure how often the report names the truly weakest topic,
and after how many questions the engine's estimate settles on it.

    python -m evals.simulate --runs 27 --questions 12 --out simulate-report.json
"""
