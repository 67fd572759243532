"""ONNX Runtime for the encoders the project runs (the embedder, the span reader): a PyTorch module exported
once into the cache, then opened as a CPU session.

Example:
    >>> session = open_session(path, threads=2)        # doctest: +SKIP
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from qa.errors import QAError

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_encoder(module, target: Path, outputs: list[str]) -> None:
    """Export `module` (taking ids, mask and token types; batch and length dynamic) to `target`, atomically:
    a half-written graph is never left under the final name."""
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    ones = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():  # the tracer's notes on shapes it treats as constants: expected here
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (ones, ones, torch.zeros_like(ones)), str(tmp), input_names=list(INPUTS),
                          output_names=outputs, opset_version=17, dynamo=False,
                          dynamic_axes={name: axes for name in [*INPUTS, *outputs]})
    os.replace(tmp, target)


def open_session(path: Path, threads: int):
    """A CPU inference session of the graph at `path`, fully optimized, on `threads` threads."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise QAError("onnxruntime is not installed (pip install -r requirements.txt)") from None
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
