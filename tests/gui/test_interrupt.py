"""Ctrl+C in the terminal closes the window the way its close button does."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest

from nnstudio.gui.app import close_on_interrupt
from nnstudio.gui.main_window import MainWindow

pytestmark = pytest.mark.timeout(30)

WindowFactory = Callable[..., MainWindow]


def test_interrupt_closes_window(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    previous = signal.getsignal(signal.SIGINT)
    try:
        close_on_interrupt(window)
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)  # type: ignore[attr-defined]
    finally:
        signal.signal(signal.SIGINT, previous)

    assert not window.isVisible()
