"""The training panel's Algorithm row, its note, and the settings the perceptron rule ignores.

With the perceptron rule chosen, the editors of settings that only gradient
descent uses (loss, optimizer, batches) are disabled, and their tooltips give
the reason. When the drawn network or the dataset does not suit the rule, the note
under the Algorithm box says what is wrong before Train is pressed.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from nnstudio.gui.wrapped_label import WrappedLabel
from nnstudio.project.model import BACKPROPAGATION, PERCEPTRON, Project
from nnstudio.project.perceptron_training import perceptron_problem

ALGORITHM_LABELS = {
    BACKPROPAGATION: "Backpropagation",
    PERCEPTRON: "Perceptron rule",
}
ALGORITHM_TIP = (
    "Backpropagation: gradient descent on the loss through every layer. "
    "Perceptron rule: Rosenblatt's rule for one layer of step units, "
    "w ← w + η(y − ŷ)x after each sample, in the dataset's order"
)
UNUSED_TIP = (
    "Not used by the perceptron rule, which minimizes no loss: it changes W and b by "
    "η(y − ŷ)x after each misclassified sample, one sample at a time"
)
NOTE_STYLE = "color: #b2182b;"


class AlgorithmRows:
    """Keeps the note and the editors that the perceptron rule ignores in step with the settings.

    ``apply`` enables each registered editor exactly when backpropagation is
    chosen and nothing trains (``running`` is False). An editor with a rule of
    its own, such as the batch size that only minibatches use, is set by the
    panel after ``apply``.
    """

    def __init__(self) -> None:
        # the reason the perceptron rule cannot train the project, when it cannot
        note = WrappedLabel()
        note.setObjectName("algorithmNote")
        note.setStyleSheet(NOTE_STYLE)
        note.setVisible(False)
        self.note = note
        self.running = False
        self._unused: list[QWidget] = []
        self._tips: dict[QWidget, str] = {}

    def add_unused(self, *editors: QWidget) -> None:
        """Register editors of settings that the perceptron rule does not use."""
        for editor in editors:
            self._unused.append(editor)
            self._tips[editor] = editor.toolTip()

    def apply(self, project: Project) -> None:
        """Disable the unused editors while the perceptron rule is chosen; update the note."""
        perceptron = project.settings.algorithm == PERCEPTRON
        for editor in self._unused:
            editor.setEnabled(not perceptron and not self.running)
            editor.setToolTip(UNUSED_TIP if perceptron else self._tips[editor])

        problem = perceptron_problem(project) if perceptron else None
        self.note.setText("" if problem is None else f"Cannot train: {problem}.")
        self.note.setVisible(problem is not None)
