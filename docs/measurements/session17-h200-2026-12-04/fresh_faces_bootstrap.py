"""Session 17: session 14's paired_bootstrap.py on faces drawn with another seed. The long-hair
settings were chosen on the 512 faces of seed 777, so the same figures on a fresh draw check the pick.

    python docs/measurements/session17-h200-2026-12-04/fresh_faces_bootstrap.py SEED ATTRIBUTE FOUND.json [--out OUT]
"""
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
import measure_text_directions  # noqa: E402

measure_text_directions.SEED = int(sys.argv.pop(1))  # Bench reads the module's SEED when it draws the faces
runpy.run_path(str(ROOT / "docs/measurements/text-directions-h200-2026-12-03-c/paired_bootstrap.py"),
               run_name="__main__")
