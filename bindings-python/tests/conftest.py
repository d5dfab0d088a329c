"""Shared fixtures: where the repository's shared test vectors live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def vector_dirs() -> list[Path]:
    """The shared vectors plus every directory in ENTRA_VECTORS_DIR (colon-separated)."""
    dirs = [REPO_ROOT / "tests" / "vectors"]
    extra = os.environ.get("ENTRA_VECTORS_DIR", "")
    dirs.extend(Path(p) for p in extra.split(":") if p)
    return dirs


def vector_files() -> list[Path]:
    files: list[Path] = []
    for root in vector_dirs():
        if root.is_dir():
            files.extend(sorted(p for p in root.rglob("*.json") if p.is_file()))
    return files
