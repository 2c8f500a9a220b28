"""pick_torch_device: the one --device auto|cpu|cuda resolution every authoring command uses."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from latentroom.engine.devices import pick_torch_device
from latentroom.engine.errors import LatentroomError


def test_auto_follows_torch_and_cpu_is_kept() -> None:
    assert pick_torch_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_torch_device("cpu") == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_an_error_not_a_fallback() -> None:
    with pytest.raises(LatentroomError, match="no CUDA device"):
        pick_torch_device("cuda")


def test_missing_torch_names_the_extra_to_install() -> None:
    # sys.modules["torch"] = None makes "import torch" fail as if it were not installed.
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from latentroom.engine.devices import pick_torch_device\n"
        "pick_torch_device('auto')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0 and "install latentroom[author]" in result.stderr
