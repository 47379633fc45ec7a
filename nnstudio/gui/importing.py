"""File > Import data: pick a CSV file, choose columns, read it on a worker, use it.

Reading runs on a QThread with a busy progress dialog, so a file of 100,000
rows leaves the window responsive. Rows with missing or non-numeric values are
listed with their line numbers, and the user chooses to drop them or cancel.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QProgressDialog, QWidget

from nnstudio.gui import commands, dialogs
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.import_dialog import ImportChoices, ImportDialog
from nnstudio.gui.threads import end_worker, start_worker_thread
from nnstudio.project.csv_dataset import build_dataset, find_problem_rows, suggested_output
from nnstudio.project.csv_table import CsvError, CsvTable, read_table
from nnstudio.project.datasets import Dataset

log = logging.getLogger(__name__)

SAMPLE_BYTES = 64 * 1024  # the preview reads this much of the file


class TableReader(QObject):
    """Reads a whole CSV file on a worker thread.

    Signals:
        finished(object): the CsvTable.
        failed(str): the message of the CsvError.
    """

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, path: Path, choices: ImportChoices) -> None:
        super().__init__()
        self.path = path
        self.choices = choices

    @Slot()
    def run(self) -> None:
        try:
            table = read_table(self.path, self.choices.options)
        except CsvError as error:
            self.failed.emit(str(error))
        else:
            self.finished.emit(table)
        finally:
            end_worker(self)


class DataImporter(QObject):
    """Owns the Import data action and carries out an import.

    Signals:
        imported(str): the name of a dataset that now replaces the project's.
    """

    imported = Signal(str)

    def __init__(self, window: QWidget, document: ProjectDocument) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.action = QAction("&Import data…", window)
        self.action.setShortcut("Ctrl+I")
        self.action.setToolTip("Use a CSV table as the dataset (Ctrl+I)")
        self.action.triggered.connect(self.import_data)
        self._thread: QThread | None = None
        self._reader: TableReader | None = None
        self._progress: QProgressDialog | None = None

    def import_data(self) -> None:
        path = dialogs.ask_csv_path(self.window)
        if path is None:
            return
        try:
            sample = _read_sample(path)
        except CsvError as error:
            dialogs.show_error(self.window, "Cannot import data", str(error))
            return
        dialog = ImportDialog(path.name, sample, self.window)
        if not dialogs.run_dialog(dialog):
            return
        self._read(path, dialog.choices())

    def is_reading(self) -> bool:
        return self._thread is not None

    def shutdown(self) -> None:
        """Wait for a file still being read, so no thread outlives the window."""
        if self._thread is not None:
            self._thread.wait()

    def _read(self, path: Path, choices: ImportChoices) -> None:
        progress = QProgressDialog(f"Reading {path.name}…", "", 0, 0, self.window)
        progress.setCancelButton(None)
        progress.setMinimumDuration(300)
        self._progress = progress

        reader = TableReader(path, choices)
        thread = QThread(self)
        reader.moveToThread(thread)
        thread.started.connect(reader.run)
        reader.finished.connect(self._on_read)
        reader.failed.connect(self._on_failed)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._reader = thread, reader
        start_worker_thread(thread)

    @Slot(object)
    def _on_read(self, table: CsvTable) -> None:
        assert self._reader is not None
        choices = self._reader.choices
        self._close_progress()
        try:
            dataset = self._build(table, choices)
        except CsvError as error:
            dialogs.show_error(self.window, "Cannot import data", str(error))
            return
        if dataset is not None:
            self._use(dataset, choices)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._close_progress()
        log.warning("import failed: %s", message)
        dialogs.show_error(self.window, "Cannot import data", message)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is not None:
            self._thread.wait()
        self._thread = None
        self._reader = None

    def _build(self, table: CsvTable, choices: ImportChoices) -> Dataset | None:
        problems = find_problem_rows(table, choices.inputs, choices.target)
        drop = False
        if problems:
            lines = sorted({problem.line for problem in problems})
            listed = "\n".join(
                f"line {p.line}, column {p.column!r}: {p.value!r} ({p.reason})"
                for p in problems[:20]
            )
            more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
            question = (
                f"{len(lines)} of {len(table.rows)} rows have missing or non-numeric values:\n\n"
                f"{listed}{more}\n\nDrop these rows and import the rest?"
            )
            if not dialogs.ask_drop_rows(self.window, question):
                return None
            drop = True
        return build_dataset(table, choices.inputs, choices.target, drop, choices.standardize, None)

    def _use(self, dataset: Dataset, choices: ImportChoices) -> None:
        stack = self.document.undo_stack
        stack.beginMacro(f"Import {dataset.name}")
        stack.push(commands.set_dataset(self.document, dataset))
        if choices.use_suggested_output:
            activation, loss = suggested_output(dataset)
            stack.push(commands.set_layer(self.document, "output", activation=activation))
            stack.push(commands.set_setting(self.document, "loss", loss))
        stack.endMacro()
        self.imported.emit(dataset.name)

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress = None


def _read_sample(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(SAMPLE_BYTES)
    except OSError as error:
        raise CsvError(f"{path}: {error.strerror or error}") from None
    # The cut may fall inside a multi-byte character; the full read checks every byte.
    text = data.decode("utf-8-sig", errors="replace")
    if len(data) == SAMPLE_BYTES:
        text = text[: text.rfind("\n") + 1] or text
    return text
