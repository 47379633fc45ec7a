"""Every modal dialog the app opens, behind small functions that tests replace."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

PROJECT_FILTER = "nnstudio project (*.nnproj);;JSON (*.json);;All files (*)"


def ask_open_path(parent: QWidget, folder: str) -> Path | None:
    """Ask for a project file to open; None when the user cancels."""
    name, _ = QFileDialog.getOpenFileName(parent, "Open project", folder, PROJECT_FILTER)
    return Path(name) if name else None


def ask_save_path(parent: QWidget, suggestion: str) -> Path | None:
    """Ask where to save; adds .nnproj when the user typed no extension."""
    name, _ = QFileDialog.getSaveFileName(parent, "Save project", suggestion, PROJECT_FILTER)
    if not name:
        return None
    path = Path(name)
    return path if path.suffix else path.with_suffix(".nnproj")


def ask_save_changes(parent: QWidget, name: str) -> str:
    """Ask what to do with unsaved changes; returns "save", "discard" or "cancel"."""
    buttons = (
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    answer = QMessageBox.warning(
        parent,
        "Unsaved changes",
        f"{name} has unsaved changes. Save them before closing it?",
        buttons,
        QMessageBox.StandardButton.Save,
    )
    if answer == QMessageBox.StandardButton.Save:
        return "save"
    if answer == QMessageBox.StandardButton.Discard:
        return "discard"
    return "cancel"


def show_error(parent: QWidget, title: str, message: str) -> None:
    QMessageBox.critical(parent, title, message)


def show_warning(parent: QWidget, title: str, message: str) -> None:
    QMessageBox.warning(parent, title, message)


def ask_export_path(parent: QWidget, title: str, suggestion: str, name_filter: str) -> Path | None:
    """Ask where to write an exported file; None when the user cancels."""
    name, _ = QFileDialog.getSaveFileName(parent, title, suggestion, name_filter)
    return Path(name) if name else None


FIGURE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"


def ask_figure_path(parent: QWidget, title: str, suggestion: str) -> Path | None:
    """Ask where to write a figure; the extension (.png or .svg) picks the format.

    A name typed without an extension gets the one of the chosen filter.
    """
    name, chosen = QFileDialog.getSaveFileName(parent, title, suggestion, FIGURE_FILTER)
    if not name:
        return None
    path = Path(name)
    if path.suffix:
        return path
    return path.with_suffix(".svg" if "svg" in chosen.lower() else ".png")


def show_information(parent: QWidget, title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)


def ask_csv_path(parent: QWidget) -> Path | None:
    """Ask for a CSV file to import; None when the user cancels."""
    name, _ = QFileDialog.getOpenFileName(
        parent, "Import data", str(Path.home()), "CSV table (*.csv *.tsv *.txt);;All files (*)"
    )
    return Path(name) if name else None


def run_dialog(dialog: QDialog) -> bool:
    """Show a modal dialog; True when the user accepted it."""
    return dialog.exec() == QDialog.DialogCode.Accepted


def ask_drop_rows(parent: QWidget, question: str) -> bool:
    """Ask whether to drop rows with problems; True to drop them, False to cancel the import."""
    answer = QMessageBox.question(
        parent,
        "Rows with problems",
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_recover(parent: QWidget, question: str) -> bool:
    """Ask whether to open an autosaved copy; False discards it."""
    answer = QMessageBox.question(
        parent,
        "Recover unsaved work",
        question,
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Discard,
        QMessageBox.StandardButton.Open,
    )
    return answer == QMessageBox.StandardButton.Open


def show_details(parent: QWidget, title: str, message: str, details: str) -> None:
    """Show a warning whose Show Details button reveals ``details`` (such as a traceback)."""
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent
    )
    box.setDetailedText(details)
    box.exec()


def ask_weight_value(parent: QWidget, title: str, label: str, text: str) -> str | None:
    """Ask for a weight's new value, starting from ``text``; None when the user cancels.

    Returns the text as typed: the caller checks that it is a number in range.
    """
    value, accepted = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if accepted else None


def ask_read_outside_csv(parent: QWidget, project: Path, csv: Path) -> bool:
    """Ask whether to read a project's CSV file that lies outside the project's folder.

    True reads it; False (the default button) opens nothing.
    """
    answer = QMessageBox.question(
        parent,
        "Data file outside the project's folder",
        f"The project {project.name}, in the folder\n\n{project.parent}\n\nreads its data from "
        f"a file outside that folder:\n\n{csv}\n\nRead this file?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
