"""The package as pip builds it (`pip wheel .`): every stage package and the data files inside."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_holds_every_subpackage_and_the_data_files(tmp_path):
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "qa", source / "qa", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "wheel")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("qa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(str(p.parent.relative_to(ROOT)) for p in (ROOT / "qa").rglob("__init__.py"))
    assert len(packages) >= 8
    assert [p for p in packages if f"{p}/__init__.py" not in names] == []
    modules = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "qa").rglob("*.py"))
    assert [m for m in modules if m not in names] == []
    data = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "qa" / "data").rglob("*") if p.is_file())
    assert "qa/data/span-reader/reader.safetensors" in data and "qa/data/calibration.json" in data
    assert [d for d in data if d not in names] == []
