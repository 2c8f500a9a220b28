"""Session 32's scripts/matte_bank.py run with the matte as at commit 519ed7e, after the
option was removed (83e888d): matte519.py, beside this script or on PYTHONPATH, is that
commit's module,
    git show 519ed7e:plugins/distill/matte.py > matte519.py
and stands in for latentroom.plugins.distill.matte. argv: bank out"""
import runpy, sys
from pathlib import Path
import matte519
sys.modules["latentroom.plugins.distill.matte"] = matte519
runpy.run_path(str(Path(__file__).parents[2] / "session32-device-2026-12-05" / "scripts" / "matte_bank.py"),
               run_name="__main__")
