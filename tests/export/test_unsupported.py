"""Activations no exporter writes yet give a clear error and write no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.export import (
    ExportError,
    export_numpy_script,
    export_onnx,
    export_pytorch_script,
    onnx_available,
)
from nnstudio.export.common import UNSUPPORTED_ACTIVATIONS
from tests.export import chain_project

EXPORTERS = [export_numpy_script, export_pytorch_script]
if onnx_available():
    EXPORTERS.append(export_onnx)


@pytest.mark.parametrize("activation", sorted(UNSUPPORTED_ACTIVATIONS))
@pytest.mark.parametrize("export", EXPORTERS, ids=lambda f: f.__name__)
def test_unsupported_activation_rejected(activation: str, export: object, tmp_path: Path) -> None:
    project = chain_project(activation, "identity")
    target = tmp_path / "out"
    with pytest.raises(ExportError, match="cannot be exported yet") as info:
        export(project, target)  # type: ignore[operator]
    assert "'hidden 1'" in str(info.value)
    assert not target.exists()
