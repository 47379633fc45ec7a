"""Mutated project files opened in the main window: each opens, or one message names the file.

The files come from the strategies of tests/project/test_fuzz_files.py, and one
window opens all of them in turn, as a user trying one file after another
would. The project that is open before each attempt is never changed: a file
that does not open leaves it in the window, and a file that opens replaces it
without touching it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from PySide6.QtCore import QCoreApplication

from nnstudio.engine.network import Parameters
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.model import Layer, Project, Settings
from tests.conftest import EXAMPLES
from tests.project.test_fuzz_files import (
    NO_SHRINK,
    MutatedFile,
    Rejection,
    any_mutation,
    encode,
    load_outcome,
    prepare_workspace,
    seed,
    write_mutation,
)

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]

# 10 files, the same on every run. The fixtures are created once for all
# examples on purpose: one window opens every file in turn, so the project open
# before an attempt may come from an earlier mutated file. A failure is reported
# without shrinking, because each shrinking step would depend on the files opened before.
WINDOW_FILES = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@dataclass
class ProjectState:
    """A deep copy of what the window shows of a project, to compare with later."""

    layers: list[Layer]
    connections: list[tuple[str, str]]
    settings: Settings
    description: str
    X: np.ndarray
    y: np.ndarray
    parameters: Parameters | None
    loss: list[float]

    @classmethod
    def of(cls, project: Project) -> ProjectState:
        return cls(
            copy.deepcopy(project.layers),
            list(project.connections),
            copy.deepcopy(project.settings),
            project.description,
            project.dataset.X.copy(),
            project.dataset.y.copy(),
            copy.deepcopy(project.parameters),
            list(project.history.loss),
        )

    def assert_unchanged(self, project: Project) -> None:
        assert project.layers == self.layers
        assert project.connections == self.connections
        assert project.settings == self.settings
        assert project.description == self.description
        assert np.array_equal(project.dataset.X, self.X)
        assert np.array_equal(project.dataset.y, self.y)
        assert project.history.loss.tolist() == self.loss
        if self.parameters is None:
            assert project.parameters is None
            return
        assert project.parameters is not None
        assert project.parameters.keys() == self.parameters.keys()
        for name, layer in self.parameters.items():
            assert np.array_equal(project.parameters[name].W, layer.W), name
            assert np.array_equal(project.parameters[name].b, layer.b), name
            assert np.array_equal(project.parameters[name].alpha, layer.alpha), name


@pytest.fixture
def window(make_window: WindowFactory) -> MainWindow:
    return make_window(path=EXAMPLES / "xor.nnproj")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return prepare_workspace(tmp_path)


@WINDOW_FILES
@given(mutation=any_mutation())
def test_open_mutated_file(
    window: MainWindow,
    messages: list[tuple[str, str]],
    folder: Path,
    mutation: MutatedFile,
) -> None:
    before = window.document.project
    state = ProjectState.of(before)
    message_count = len(messages)
    # A new name for every file, so that a message cannot name an earlier one.
    path = write_mutation(folder, mutation, f"mutated {len(list(folder.iterdir()))}.nnproj")

    opened = window.open_path(path)
    # Let the views finish updating. pytest-qt reports any exception they raise.
    QCoreApplication.processEvents()

    outcome = load_outcome(path)
    state.assert_unchanged(before)
    if isinstance(outcome, Rejection):
        assert not opened
        assert window.document.project is before
        assert len(messages) == message_count + 1
        _title, text = messages[-1]
        assert text == outcome.message
        assert str(path) in text
    else:
        assert opened
        assert window.document.project is not before
        assert window.document.path == path.resolve()
        assert messages[message_count:] == []
        drawn = set(window.canvas.canvas_scene.layers)
        assert drawn == {layer.name for layer in window.document.project.layers}


def test_open_csv_path_too_long(
    window: MainWindow, messages: list[tuple[str, str]], folder: Path
) -> None:
    before = window.document.project
    # Most file systems limit a file name to 255 bytes.
    document = seed("iris.nnproj")
    document["dataset"]["csv"] = "a" * 300 + ".csv"
    path = write_mutation(folder, MutatedFile("iris.nnproj", "long name", encode(document)))

    opened = window.open_path(path)

    assert not opened
    assert window.document.project is before
    assert len(messages) == 1
    assert str(path) in messages[0][1]
