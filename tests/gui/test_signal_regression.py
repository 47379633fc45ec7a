"""Guard for the PySide6 pin: thousands of Python-side signal emissions must not abort.

PySide6 6.12.0 on Python 3.11 drops a reference to True on every Signal.emit()
made from Python and aborts with "Fatal Python error: bool_dealloc" after a
few thousand; pyproject.toml keeps PySide6-Essentials below 6.12. The emits run
in a subprocess because the failure kills the interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

EMISSIONS = 5000

SCRIPT = textwrap.dedent(
    f"""
    from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

    class Emitter(QObject):
        flag = Signal(bool)
        value = Signal(object)

    class Receiver(QObject):
        def __init__(self):
            super().__init__()
            self.count = 0

        @Slot(bool)
        @Slot(object)
        def on_signal(self, value):
            self.count += 1

    app = QCoreApplication([])
    emitter, receiver = Emitter(), Receiver()
    emitter.flag.connect(receiver.on_signal)
    emitter.value.connect(receiver.on_signal)
    for index in range({EMISSIONS}):
        emitter.flag.emit(index % 2 == 0)
        emitter.value.emit(True)
    assert receiver.count == 2 * {EMISSIONS}, receiver.count
    print("emitted", receiver.count)
    """
)


def test_many_python_signal_emissions_do_not_abort() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert "Fatal Python error" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert f"emitted {2 * EMISSIONS}" in result.stdout
