"""Decoding what the sandbox sends back. Only JSON crosses: never pickles, never code.

A tensor arrives as ``{"__tensor__": dtype, "shape": [...], "data": base64}``; anything that
does not fit that shape exactly is rejected.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from interviewer.errors import InputError

ALLOWED_DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16",
                  "int8", "uint8", "bool", "complex64", "complex128")
MAX_ELEMENTS = 1 << 22
MAX_DEPTH = 32


def decode_value(doc: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise InputError(f"value from the sandbox is nested deeper than {MAX_DEPTH}")
    if isinstance(doc, dict) and "__tensor__" in doc:
        return decode_tensor(doc)
    if isinstance(doc, dict):
        return {str(k): decode_value(v, depth + 1) for k, v in doc.items()}
    if isinstance(doc, list):
        return [decode_value(v, depth + 1) for v in doc]
    if isinstance(doc, (bool, int, float, str)) or doc is None:
        return doc
    raise InputError(f"unexpected value of type {type(doc).__name__} from the sandbox")


def decode_tensor(doc: dict) -> Any:
    import torch

    if set(doc) != {"__tensor__", "shape", "data"} or doc["__tensor__"] not in ALLOWED_DTYPES:
        raise InputError("malformed tensor from the sandbox")
    shape = doc["shape"]
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise InputError("malformed tensor shape from the sandbox")
    dtype = getattr(torch, doc["__tensor__"])
    count = math.prod(shape)
    try:
        raw = base64.b64decode(doc["data"], validate=True)
    except (binascii.Error, TypeError) as e:
        raise InputError("malformed tensor bytes from the sandbox") from e
    itemsize = torch.empty(0, dtype=dtype).element_size()
    if count > MAX_ELEMENTS or len(raw) != count * itemsize:
        raise InputError(f"tensor bytes do not match shape {shape} and dtype {dtype}")
    if count == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape).clone()
