"""The train/dev split, by question (never by answer), fixed and documented.

Rule: question Qn is in **dev** when n % 10 is 3, 6 or 9, and in train otherwise. That is
30 dev questions spread evenly over all topics (the knowledge base numbers questions by
topic); a follow-up Qn.k goes with its parent Qn. Rows whose question id is not of the form Qn go by a hash of the id (sha256; the
first byte mod 10 in {3, 6, 9} -> dev), so any new question lands on a fixed side.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

DEV_REMAINDERS = {3, 6, 9}


def side(question_id: str) -> str:
    m = re.fullmatch(r"[Qq]0*(\d+)(?:\.\d+)?", question_id)  # a follow-up Qn.k: its parent
    n = int(m.group(1)) if m else hashlib.sha256(question_id.encode()).digest()[0]
    return "dev" if n % 10 in DEV_REMAINDERS else "train"


def write_split(sources: list[Path], out_dir: Path) -> dict[str, int]:
    """Concatenate `sources` (sorted) into out_dir/train.jsonl and out_dir/dev.jsonl."""
    lines: dict[str, list[str]] = {"train": [], "dev": []}
    for src in sorted(sources):
        for line in src.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines[side(json.loads(line)["question_id"])].append(line)
    for name, rows in lines.items():
        (out_dir / f"{name}.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return {k: len(v) for k, v in lines.items()}
