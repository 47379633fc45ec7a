"""Upgrading project documents written by older format versions, one version at a time.

Each step turns the parsed JSON document of format version N into one of
version N + 1. A step is a pure function: it returns a new document and leaves
its argument unchanged. It does not validate either. A field in the wrong shape
passes through untouched, so that the reader of the newest version reports it
with the field's name, as for a file of that version.

History of the format:

- 1: the first version.
- 2: ``history.epochs`` numbers the history's entries, because a long run keeps
  only some of its epochs (engine/history.py). A dataset section may be a
  generator request (generator_format.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Document = dict[str, Any]
Step = Callable[[Document], Document]


def _add_history_epochs(document: Document) -> Document:
    """Version 1 to 2: number the epochs of the history 1, 2, ..., as version 1 implied.

    Version 1 had no generator section, and its dataset needs no change.
    """
    upgraded = copy.copy(document)
    history = document.get("history")
    if isinstance(history, dict) and isinstance(history.get("loss"), list):
        # Version 1 ignored unknown fields, so an "epochs" written by hand is replaced.
        upgraded["history"] = {**history, "epochs": list(range(1, len(history["loss"]) + 1))}
    upgraded["version"] = 2
    return upgraded


# STEPS[n] upgrades a document of version n to version n + 1.
STEPS: dict[int, Step] = {
    1: _add_history_epochs,
}
LATEST_VERSION = max(STEPS) + 1


def migrate(document: Document, version: int) -> Document:
    """Return ``document``, of format ``version``, upgraded to LATEST_VERSION.

    ``version`` must be from 1 to LATEST_VERSION; a document of the latest
    version is returned as it is.
    """
    if not 1 <= version <= LATEST_VERSION:
        raise ValueError(f"no migration from format version {version}")
    for step_from in range(version, LATEST_VERSION):
        document = STEPS[step_from](document)
    return document
