"""Reading the JSON description every stored model carries (n-gram model, decision layer).

One place for the two ways such a file goes wrong — missing, or not JSON —
so each artefact's loader only checks what is its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from commentwatch.errors import ModelError


def read_json(path: Path, error: type[ModelError], missing: str) -> object:
    """The parsed file, or ``error`` naming it: ``missing`` when it is absent, else why it is unreadable."""
    if not path.is_file():
        raise error(missing, path.parent)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"not valid JSON: {exc}", path) from None
