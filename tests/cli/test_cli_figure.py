"""``nnstudio figure`` run as a user runs it: files written, their size, and bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from nnstudio.cli_figure import BOUNDARY_SIZE
from tests.conftest import EXAMPLES, REPO

XOR = EXAMPLES / "xor.nnproj"
TIMEOUT = 120
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", "figure", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        check=False,
        env=env,
    )


def png_size(path: Path) -> tuple[int, int]:
    """Read width and height from the PNG's IHDR chunk, without Qt."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_boundary_png_twice_plot_size(tmp_path: Path) -> None:
    out = tmp_path / "boundary.png"
    result = run_cli(XOR, "--what", "boundary", "--out", out)
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (2 * BOUNDARY_SIZE[0], 2 * BOUNDARY_SIZE[1])
    # Success also prints one line on stderr, so scripts can read it.
    assert result.stderr.splitlines() == [f"wrote the boundary figure of {XOR} to {out}"]


def test_network_without_display(tmp_path: Path) -> None:
    out = tmp_path / "network.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    result = run_cli(XOR, "--what", "network", "--out", out, env=env)
    assert result.returncode == 0, result.stderr
    width, height = png_size(out)
    assert width > height > 100  # three layers side by side
    # drawn at twice the scene size
    assert width % 2 == 0
    assert height % 2 == 0


def test_loss_train_svg_leaves_project(tmp_path: Path) -> None:
    out = tmp_path / "loss.svg"
    before = XOR.read_bytes()
    result = run_cli(XOR, "--what", "loss", "--out", out, "--train")
    assert result.returncode == 0, result.stderr
    root = ElementTree.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    shapes = [e for e in root.iter() if e.tag.endswith(("path", "polyline"))]
    assert len(shapes) > 0
    assert XOR.read_bytes() == before


def test_loss_without_history_says_train(tmp_path: Path) -> None:
    out = tmp_path / "loss.png"
    line = one_error_line(run_cli(XOR, "--what", "loss", "--out", out))
    assert "no loss history" in line
    assert "--train" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (("--what", "weights", "--out", "x.png"), "invalid choice: 'weights'"),
        (("--what", "network", "--out", "x.jpg"), ".jpg is not a figure format"),
        (("--what", "network", "--out", "x"), "no extension is not a figure format"),
        (("--what", "network", "--out", "missing/x.png"), "does not exist"),
    ],
)
def test_bad_input_one_line(tmp_path: Path, arguments: tuple[str, ...], expected: str) -> None:
    fixed = [str(tmp_path / a) if a.startswith(("x", "missing")) else a for a in arguments]
    line = one_error_line(run_cli(XOR, *fixed))
    assert expected in line


def test_unwritable_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        line = one_error_line(run_cli(XOR, "--what", "network", "--out", folder / "x.png"))
        assert "cannot write" in line
    finally:
        folder.chmod(0o700)
