"""A project whose CSV file lies outside its folder opens only after the user confirms."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.timeout(60)

WindowFactory = Callable[..., MainWindow]


def project_in_subfolder(folder: Path) -> tuple[Path, Path]:
    """Write the iris project into folder/projects, reading folder/iris.csv as ../iris.csv."""
    csv = folder / "iris.csv"
    shutil.copy(EXAMPLES / "iris.csv", csv)
    (folder / "projects").mkdir()
    document = json.loads((EXAMPLES / "iris.nnproj").read_text(encoding="utf-8"))
    document["dataset"]["csv"] = "../iris.csv"
    path = folder / "projects" / "iris.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path, csv.resolve()


def answer_csv_question(monkeypatch: pytest.MonkeyPatch, answer: bool) -> list[tuple[Path, Path]]:
    asked: list[tuple[Path, Path]] = []

    def ask(_parent: object, project: Path, csv: Path) -> bool:
        asked.append((project, csv))
        return answer

    monkeypatch.setattr(dialogs, "ask_read_outside_csv", ask)
    return asked


def test_yes_opens_project(
    make_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    messages: list[tuple[str, str]],
) -> None:
    path, csv = project_in_subfolder(tmp_path)
    asked = answer_csv_question(monkeypatch, True)
    window = make_window()

    assert window.open_path(path)

    assert asked == [(path.absolute(), csv)]
    assert window.document.path == path.resolve()
    assert len(window.document.project.dataset.X) == 150
    assert window.windowTitle().startswith("iris.nnproj")
    assert messages == []


def test_no_keeps_current_project(
    make_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    messages: list[tuple[str, str]],
) -> None:
    path, csv = project_in_subfolder(tmp_path)
    asked = answer_csv_question(monkeypatch, False)
    window = make_window()
    before = window.document.project
    title = window.windowTitle()

    assert not window.open_path(path)

    assert asked == [(path.absolute(), csv)]
    assert window.document.project is before
    assert window.document.path is None
    assert window.windowTitle() == title
    assert window.statusBar().currentMessage() == "Did not open iris.nnproj"
    assert messages == []


def test_csv_beside_project_not_asked(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copy(EXAMPLES / "iris.csv", tmp_path / "iris.csv")
    shutil.copy(EXAMPLES / "iris.nnproj", tmp_path / "iris.nnproj")
    asked = answer_csv_question(monkeypatch, False)
    window = make_window()

    assert window.open_path(tmp_path / "iris.nnproj")

    assert asked == []
