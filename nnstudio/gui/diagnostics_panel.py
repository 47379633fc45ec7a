"""The Diagnostics dock: the problems found in the network and its training, in plain sentences.

Each problem is a card: a bold title, then the evidence and a suggestion. With
no problem the panel shows "No problems found", and a line at the bottom tells
what was checked.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from nnstudio.engine.diagnostics import Diagnosis

NO_PROBLEMS_TEXT = "No problems found"
CARD_STYLE = (
    "QFrame#diagnosis { border-left: 4px solid #b2182b; background: #fdf3f0; padding: 4px; }"
)


class DiagnosticsPanel(QWidget):
    """The current diagnoses, or "No problems found", and what they were computed from."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnoses: list[Diagnosis] = []
        self.cards: list[QFrame] = []

        self.empty_label = QLabel(NO_PROBLEMS_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #1b7837; font-weight: bold;")
        self.scope_label = QLabel()
        self.scope_label.setWordWrap(True)
        self.scope_label.setStyleSheet("color: #555555;")

        self._list = QWidget()
        self._column = QVBoxLayout(self._list)
        self._column.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._column.addWidget(self.empty_label)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.scope_label)

    def show_diagnoses(self, diagnoses: list[Diagnosis], scope: str) -> None:
        """Replace the cards with ``diagnoses``. ``scope`` describes what was checked."""
        self.diagnoses = list(diagnoses)
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = [_card(diagnosis) for diagnosis in diagnoses]
        for card in self.cards:
            self._column.addWidget(card)
        self.empty_label.setText(NO_PROBLEMS_TEXT)
        self.empty_label.setVisible(not diagnoses)
        self.scope_label.setText(scope)

    def show_unavailable(self, reason: str) -> None:
        """Show why nothing could be checked, with no cards."""
        self.show_diagnoses([], "")
        self.empty_label.setText(reason)

    def texts(self) -> list[str]:
        """Return each card's text as the user reads it: title, evidence and suggestion."""
        return [f"{d.title}. {d.evidence} {d.suggestion}" for d in self.diagnoses]


def _card(diagnosis: Diagnosis) -> QFrame:
    card = QFrame()
    card.setObjectName("diagnosis")
    card.setStyleSheet(CARD_STYLE)
    title = QLabel(diagnosis.title)
    title.setStyleSheet("font-weight: bold;")
    body = QLabel(f"{diagnosis.evidence}\n{diagnosis.suggestion}")
    body.setWordWrap(True)
    body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout = QVBoxLayout(card)
    layout.setContentsMargins(6, 4, 6, 4)
    layout.addWidget(title)
    layout.addWidget(body)
    return card
