"""Permanent status bar widgets: epoch, loss, accuracy and a progress bar."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar


class TrainingStatus:
    """Adds and updates the training read-outs of the status bar."""

    def __init__(self, bar: QStatusBar) -> None:
        self.epoch = QLabel()
        self.loss = QLabel()
        self.accuracy = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        for label in (self.epoch, self.loss, self.accuracy):
            label.setMinimumWidth(120)
            bar.addPermanentWidget(label)
        bar.addPermanentWidget(self.progress)
        self.show(0, 1, None, None)

    def show(self, epoch: int, target: int, loss: float | None, accuracy: float | None) -> None:
        """Show the state after ``epoch`` of ``target`` epochs."""
        self.epoch.setText(f"Epoch {epoch:,}")
        self.loss.setText("Loss —" if loss is None else f"Loss {loss:.6g}")
        if accuracy is None or math.isnan(accuracy):
            self.accuracy.setText("Accuracy —")
        else:
            self.accuracy.setText(f"Accuracy {accuracy:.0%}")
        self.progress.setRange(0, max(target, 1))
        self.progress.setValue(min(epoch, max(target, 1)))
