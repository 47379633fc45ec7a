"""The wheel ships the icons, the desktop entry and the examples, and they load from it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the test extras already bring setuptools and wheel,
    # and CI machines may not reach an index from inside a build.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        timeout=500,
    )
    (built,) = out.glob("nnstudio-*.whl")
    return built


def test_wheel_lists_resources(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "nnstudio/resources/icons/train.svg" in names
    assert "nnstudio/resources/icons/nnstudio.svg" in names
    assert "nnstudio/resources/nnstudio.desktop" in names
    assert "nnstudio/examples/xor.nnproj" in names
    assert "nnstudio/examples/iris.csv" in names
    assert "nnstudio/engine/network.py" in names


def test_installed_wheel_loads_icons_and_examples(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    # Run from an empty folder with only the installed copy first on the path,
    # so the import cannot come from the checkout.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import nnstudio\n"
        "assert nnstudio.__file__.startswith(sys.argv[1]), nnstudio.__file__\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from nnstudio.gui.icons import icon\n"
        "for name in ('train', 'pause', 'step', 'stop', 'reset', 'nnstudio'):\n"
        "    assert not icon(name).isNull(), name\n"
        "from importlib import resources\n"
        "from nnstudio.project.fileformat import load_project\n"
        "with resources.as_file(resources.files('nnstudio.examples') / 'xor.nnproj') as p:\n"
        "    print(load_project(p).parameter_count())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "17"
