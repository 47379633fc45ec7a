"""Parts of the settings forms: an undo command that merges, and a spin box for tiny numbers."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtGui import QUndoCommand, QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from nnstudio.gui import commands
from nnstudio.gui.document import ProjectDocument

# Qt merges two commands only when their id() is equal and not -1; each setting
# gets an id of its own, above this base, so no other command merges with it.
MERGE_ID_BASE = 0x4E5300
_MERGE_IDS: dict[str, int] = {}


class SettingCommand(commands.ProjectCommand):
    """Change one training setting, as commands.set_setting does, merging repeated edits.

    With ``merge``, consecutive changes of the same setting (clicks on a spin
    box's arrows, say) merge into one undo step, and a step that ends at the
    value it started from is dropped from the undo stack. Without it (a check
    box, a choice in a list) the command is an undo step of its own.
    """

    def __init__(self, document: ProjectDocument, key: str, value: Any, merge: bool = True) -> None:
        base = commands.set_setting(document, key, value)
        super().__init__(document, base.text(), base.edit, base.weights)
        self.key = key
        self.value = value
        self.merge = merge

    def id(self) -> int:
        if not self.merge:
            return -1
        return _MERGE_IDS.setdefault(self.key, MERGE_ID_BASE + len(_MERGE_IDS))

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SettingCommand) or other.key != self.key:
            return False
        self.after = other.after
        self.value = other.value
        self.setText(other.text())
        if self.before is not None and getattr(self.before.settings, self.key) == self.value:
            self.setObsolete(True)
        return True


def push_setting(document: ProjectDocument, key: str, value: Any, merge: bool = True) -> None:
    """Push a SettingCommand unless the project has that value already."""
    if getattr(document.project.settings, key) == value:
        return
    document.undo_stack.push(SettingCommand(document, key, value, merge))


class ScientificSpinBox(QDoubleSpinBox):
    """A spin box for small positive numbers such as 1e-8, shown in scientific notation.

    Each arrow step multiplies or divides the value by 10.
    """

    def __init__(self, low: float, high: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # QDoubleSpinBox rounds every value to ``decimals`` places; 30 keep 1e-15 exact
        # to 15 significant digits.
        self.setDecimals(30)
        self.setRange(low, high)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.4g}"

    def valueFromText(self, text: str) -> float:
        return float(text)

    def validate(self, text: str, position: int) -> object:
        try:
            value = float(text)
        except ValueError:
            # "1e", "1e-" and "" are on their way to a number.
            partial = text == "" or text[-1:] in ("e", "E", "-", "+", ".")
            state = QValidator.State.Intermediate if partial else QValidator.State.Invalid
            return state, text, position
        if not math.isfinite(value) or not self.minimum() <= value <= self.maximum():
            return QValidator.State.Intermediate, text, position
        return QValidator.State.Acceptable, text, position

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * 10.0**steps)
