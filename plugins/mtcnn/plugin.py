"""latentroom plugin module for the real-photo aligner (entry point ``mtcnn``).

Registers the ``mtcnn`` aligner. Its networks come from the ``photo`` extra
(``pip install 'latentroom[photo]'``); registering costs nothing, and the factory
says what to install when they are missing.
"""

from __future__ import annotations

from typing import Callable

from latentroom.engine import hookimpl


def _load() -> object:
    from latentroom.plugins.mtcnn.detector import MtcnnAligner

    return MtcnnAligner()


@hookimpl
def register_aligners(register: Callable[..., None]) -> None:
    register("mtcnn", _load, description="MTCNN face detector, 5 landmarks, for photographs (extra: photo)")
