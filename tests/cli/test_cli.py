"""The ``nnstudio`` command run as a user runs it: a subprocess on the example projects."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnstudio
from nnstudio.engine.errors import TrainingDiverged
from nnstudio.engine.losses import make_loss
from nnstudio.engine.training import Trainer
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES, REPO

TIMEOUT = 120

XOR = EXAMPLES / "xor.nnproj"
WORKED = EXAMPLES / "worked-example.nnproj"

# The backpropagation lecture's worked example, by hand: x = [2, 3], y = 1,
# h = x W1 = [0.99, 0.95], output = h W2 = 2.162, dLoss/doutput = 2.162 - 1 = 1.162.
LECTURE_OUTPUT = 2.162
LECTURE_LOSS = 0.5 * 1.162**2
LECTURE_DW1 = [[4.1832, 0.9296], [6.2748, 1.3944]]
LECTURE_DW2 = [[1.15038], [1.1039]]


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
    )


def json_output(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """Parse stdout, which must be exactly one JSON object."""
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def write_document(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def example_document(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def assert_one_error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# train


def test_train_xor_reaches_full_accuracy(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", XOR, "--epochs", "5000", "--seed", "0", "--json", "--out", out)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json_output(result)
    assert data["accuracy"] == 1.0
    assert data["loss"] < 0.01
    assert data["epochs_trained"] == 5000
    assert data["last_epoch"] == 5000
    assert data["seed"] == 0
    assert data["stopped_early"] is False
    assert data["out"] == str(out)


def test_trained_file_reproduces_loss(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", XOR, "--epochs", "800", "--json", "--out", out)
    assert result.returncode == 0, result.stderr
    printed = json_output(result)

    project = load_project(out)
    loss = project.network().loss(project.dataset.X, project.dataset.y, make_loss("mse"))
    assert loss == printed["loss"]
    assert len(project.history.loss) == 800
    assert project.history.loss[-1] == printed["loss"]
    assert project.history.accuracy[-1] == printed["accuracy"]


@pytest.mark.parametrize("batch_mode", ["full", "stochastic"])
def test_train_matches_direct_trainer(tmp_path: Path, batch_mode: str) -> None:
    document = example_document("xor.nnproj")
    document["training"]["batch_mode"] = batch_mode
    source = write_document(tmp_path / "xor.nnproj", document)
    out = tmp_path / "trained.nnproj"

    result = run_cli("train", source, "--epochs", "300", "--seed", "3", "--json", "--out", out)
    assert result.returncode == 0, result.stderr

    project = load_project(source)
    project.settings.seed = 3
    project.reinitialize()
    trainer = Trainer(project.network(), project.dataset.X, project.dataset.y, project.settings)
    trainer.train(300)

    assert json_output(result)["loss"] == trainer.history.loss[-1]
    trained = load_project(out)
    assert trained.parameters is not None
    for name, layer in trainer.network.parameters.items():
        assert np.array_equal(trained.parameters[name].W, layer.W)
        assert np.array_equal(trained.parameters[name].b, layer.b)


def test_train_continues_history(tmp_path: Path) -> None:
    first = tmp_path / "first.nnproj"
    second = tmp_path / "second.nnproj"
    assert run_cli("train", XOR, "--epochs", "500", "--json", "--out", first).returncode == 0

    # Without --epochs the run completes the project's 2000 epochs, as the Train button does.
    result = run_cli("train", first, "--json", "--out", second)

    assert result.returncode == 0, result.stderr
    data = json_output(result)
    assert data["epochs_trained"] == 1500
    assert data["last_epoch"] == 2000
    before = load_project(first).history.loss
    after = load_project(second).history.loss
    np.testing.assert_array_equal(after[:500], before)


def test_train_keeps_initial_weights(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    assert run_cli("train", XOR, "--epochs", "50", "--json", "--out", out).returncode == 0

    untrained = load_project(XOR)
    trained = load_project(out)
    assert untrained.initial_parameters is not None
    assert trained.initial_parameters is not None
    assert trained.parameters is not None
    hidden = "hidden 1"
    assert np.array_equal(
        trained.initial_parameters[hidden].W, untrained.initial_parameters[hidden].W
    )
    assert not np.array_equal(trained.parameters[hidden].W, trained.initial_parameters[hidden].W)


def test_train_leaves_input_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "xor.nnproj"
    source.write_bytes(XOR.read_bytes())

    without_out = run_cli("train", source, "--epochs", "20")
    with_out = run_cli("train", source, "--epochs", "20", "--out", tmp_path / "other.nnproj")

    assert without_out.returncode == 0, without_out.stderr
    assert with_out.returncode == 0, with_out.stderr
    assert source.read_bytes() == XOR.read_bytes()
    assert "not saved" in without_out.stdout


def test_train_prints_progress_each_tenth() -> None:
    result = run_cli("train", XOR)

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for tenth in range(1, 11):
        prefix = f"epoch {200 * tenth}/2000  loss "
        assert any(line.startswith(prefix) for line in lines), result.stderr
    assert lines[-1].endswith("accuracy 100%")
    assert "trained 2000 epochs (2000 in total)" in result.stdout


def test_train_lr_is_saved(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", XOR, "--epochs", "5", "--lr", "0.25", "--json", "--out", out)

    assert result.returncode == 0, result.stderr
    assert json_output(result)["learning_rate"] == 0.25
    assert load_project(out).settings.learning_rate == 0.25


def test_train_stops_at_target_loss() -> None:
    result = run_cli("train", XOR, "--target-loss", "0.01", "--json")

    assert result.returncode == 0, result.stderr
    data = json_output(result)
    assert data["stopped_early"] is True
    assert data["loss"] <= 0.01
    assert data["epochs_trained"] < 2000


def test_diverging_run_exits_3(tmp_path: Path) -> None:
    out = tmp_path / "diverged.nnproj"
    result = run_cli("train", WORKED, "--lr", "1000", "--epochs", "100", "--json", "--out", out)

    line = assert_one_error_line(result, 3)
    epoch = json_output(result)["diverged_at_epoch"]
    assert f"diverged at epoch {epoch}" in line
    assert "learning rate 1000" in line

    # The file keeps the last finite weights: one more epoch at this rate diverges again.
    project = load_project(out)
    assert len(project.history.loss) == epoch - 1
    trainer = Trainer(project.network(), project.dataset.X, project.dataset.y, project.settings)
    assert np.isfinite(trainer.evaluate()[0])
    with pytest.raises(TrainingDiverged):
        trainer.run_epoch()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX signals")
def test_interrupted_run_exits_130() -> None:
    command = [sys.executable, "-m", "nnstudio", "train", str(XOR), "--epochs", "100000000"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert process.stderr is not None
        # The first progress line shows that training has started.
        first_line = process.stderr.readline()
        assert first_line.startswith("epoch ")
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)

    assert process.returncode == 130
    assert "Traceback" not in rest
    assert rest.splitlines()[-1] == "nnstudio: error: interrupted; nothing was written"


# gradients


def test_gradients_match_lecture() -> None:
    result = run_cli("gradients", WORKED, "--json")

    assert result.returncode == 0, result.stderr
    data = json_output(result)
    np.testing.assert_allclose(data["output"], [[LECTURE_OUTPUT]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(data["loss"], LECTURE_LOSS, rtol=0, atol=1e-9)
    hidden, output = data["layers"]
    assert hidden["name"] == "hidden 1"
    assert output["name"] == "output"
    np.testing.assert_allclose(hidden["dW"], LECTURE_DW1, rtol=0, atol=1e-9)
    np.testing.assert_allclose(output["dW"], LECTURE_DW2, rtol=0, atol=1e-9)
    assert hidden["W"] == [[-0.78, 0.13], [0.85, 0.23]]
    assert hidden["b"] is None
    assert hidden["db"] is None
    assert output["db"] is None


def test_gradients_text_shows_lecture_numbers() -> None:
    result = run_cli("gradients", WORKED)

    assert result.returncode == 0, result.stderr
    assert "[[2.162]]" in result.stdout
    assert "[[4.1832, 0.9296]," in result.stdout
    assert "[6.2748, 1.3944]]" in result.stdout
    assert "[[1.15038]," in result.stdout
    assert "loss (mse): 0.675122" in result.stdout


def test_gradients_report_bias(tmp_path: Path) -> None:
    result = run_cli("gradients", EXAMPLES / "and.nnproj", "--json")

    assert result.returncode == 0, result.stderr
    (layer,) = json_output(result)["layers"]
    # All weights start at the seed's draw and b at zero, so dLoss/db is the mean of
    # (sigmoid(z) - y) over the four corners, by the binary cross-entropy's logit form.
    project = load_project(EXAMPLES / "and.nnproj")
    z = project.dataset.X @ np.array(layer["W"])
    expected_db = np.mean(1 / (1 + np.exp(-z)) - project.dataset.y, axis=0)
    assert layer["b"] == [0.0]
    np.testing.assert_allclose(layer["db"], expected_db, rtol=1e-12)


def test_gradients_reject_step_units(tmp_path: Path) -> None:
    document = example_document("xor.nnproj")
    document["network"]["layers"][1]["activation"] = "step"
    source = write_document(tmp_path / "step.nnproj", document)

    line = assert_one_error_line(run_cli("gradients", source), 1)

    assert line.startswith("nnstudio: error: cannot backpropagate")
    assert "'hidden 1'" in line


# invalid input


def _not_json(path: Path) -> Path:
    path.write_text('{"format": "nnstudio-project", "version": 1,', encoding="utf-8")
    return path


def _edited(edit: str) -> Any:
    def write(path: Path) -> Path:
        document = example_document("worked-example.nnproj")
        if edit == "missing":
            del document["training"]["learning_rate"]
        elif edit == "mistyped":
            document["training"]["learning_rate"] = "fast"
        elif edit == "units 0":
            document["network"]["layers"][1]["units"] = 0
        elif edit == "units 65":
            document["network"]["layers"][1]["units"] = 65
        elif edit == "newer":
            document["version"] = 7
        return write_document(path, document)

    return write


BAD_FILES = {
    "not json": (_not_json, "not a valid JSON document"),
    "missing field": (_edited("missing"), "'training.learning_rate': is missing"),
    "mistyped field": (_edited("mistyped"), "'training.learning_rate': expected a number"),
    "units 0": (_edited("units 0"), "'network.layers[1].units': 0 is out of range"),
    "units 65": (_edited("units 65"), "'network.layers[1].units': 65 is out of range"),
    "newer version": (_edited("newer"), "'version': the file was written by format version 7"),
    "nonexistent": (lambda path: path, "file not found"),
}


@pytest.mark.parametrize("command", ["train", "gradients"])
@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_exits_2(tmp_path: Path, command: str, case: str) -> None:
    write, expected = BAD_FILES[case]
    path = write(tmp_path / "bad.nnproj")

    line = assert_one_error_line(run_cli(command, path), 2)

    assert line.startswith(f"nnstudio: error: {path}: ")
    assert expected in line


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--epochs", "0", "argument --epochs: 0 is out of range"),
        ("--epochs", "many", "argument --epochs: 'many' is not a whole number"),
        ("--lr", "fast", "argument --lr: 'fast' is not a number"),
        ("--lr", "0", "argument --lr: 0 is out of range"),
        ("--lr", "1e6", "argument --lr: 1e6 is out of range"),
        ("--seed", "-1", "argument --seed: -1 is out of range"),
    ],
)
def test_bad_option_exits_2(option: str, value: str, expected: str) -> None:
    line = assert_one_error_line(run_cli("train", XOR, option, value), 2)

    assert line.startswith("nnstudio train: error: ")
    assert expected in line


def test_output_folder_missing_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "trained.nnproj"

    line = assert_one_error_line(run_cli("train", XOR, "--out", out), 2)

    assert f"the folder {out.parent} does not exist" in line
    assert not out.parent.exists()


# the command itself


def test_version() -> None:
    result = run_cli("--version")

    assert result.returncode == 0
    assert result.stdout.strip() == f"nnstudio {nnstudio.__version__}"


def test_headless_commands_import_no_qt(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from nnstudio.cli import main\n"
        f"status = main(['train', {str(XOR)!r}, '--epochs', '5', '--json'])\n"
        f"status += main(['gradients', {str(WORKED)!r}, '--json'])\n"
        "qt = sorted(name for name in sys.modules if name.startswith(('PySide6', 'pyqtgraph')))\n"
        "print(status, qt)\n"
    )
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        env=environment,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"


def test_one_epoch_is_one_lecture_step(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", WORKED, "--json", "--out", out)
    assert result.returncode == 0, result.stderr

    # One step of gradient descent at the file's learning rate 0.01, by hand.
    x = np.array([[2.0, 3.0]])
    W1 = np.array([[-0.78, 0.13], [0.85, 0.23]]) - 0.01 * np.array(LECTURE_DW1)
    W2 = np.array([[1.8], [0.40]]) - 0.01 * np.array(LECTURE_DW2)
    expected_loss = 0.5 * ((x @ W1 @ W2)[0, 0] - 1.0) ** 2

    data = json_output(result)
    assert data["epochs_trained"] == 1
    np.testing.assert_allclose(data["loss"], expected_loss, rtol=1e-12)
    trained = load_project(out)
    assert trained.parameters is not None
    np.testing.assert_allclose(trained.parameters["hidden 1"].W, W1, rtol=1e-12)
    np.testing.assert_allclose(trained.parameters["output"].W, W2, rtol=1e-12)


def test_unknown_command_named(capsys: pytest.CaptureFixture[str]) -> None:
    from nnstudio.cli import main

    status = main(["frobnicate", str(EXAMPLES / "xor.nnproj")])

    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert "unknown command 'frobnicate'" in err
    assert "train" in err
