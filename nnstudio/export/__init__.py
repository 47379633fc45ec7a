"""Export a project's network and current weights as ONNX, a NumPy script or a PyTorch script.

Every exporter takes a ``Project`` and a path, writes the file through a
temporary file, and raises ``ExportError`` with a message for the user when the
export cannot be done. No module here imports Qt, and onnx is imported only when
an ONNX model is built.
"""

from nnstudio.export.common import ExportError
from nnstudio.export.numpy_script import export_numpy_script
from nnstudio.export.onnx_model import export_onnx, onnx_available
from nnstudio.export.pytorch_script import export_pytorch_script

__all__ = [
    "ExportError",
    "export_numpy_script",
    "export_onnx",
    "export_pytorch_script",
    "onnx_available",
]
