"""Shared fixtures: where the repository's shared test vectors live."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

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


def sign_in_settings(sb: Any, redirect: str, **policy: float) -> Dict[str, Any]:
    """Partner sign-in settings against a sandbox's login service, with fast retries."""
    c = sb.credentials
    return {
        "clientId": c["clientId"],
        "clientSecret": c["clientSecret"],
        "authority": c["partnerTenantId"],
        "redirectUri": redirect,
        "loginBase": sb.login_base_url,
        "graphBase": sb.graph_base_url,
        "policy": {"baseDelay": 0.001, "maxDelay": 0.01, **policy},
    }
