"""matte_sup.py's TAG.pt as a copy of the bundled beard preset, for `toyfaces evaluate`:
session 28's topreset.py with matte_sup's MatteStudent standing in for the student it
builds (the same export and manifest). argv: tag bundled-preset-dir out-dir"""
import runpy, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from matte_sup import MatteStudent
import latentroom.plugins.distill.student as student
student.Student = lambda config: MatteStudent()
runpy.run_path(str(Path(__file__).parents[2] / "session28-cpu-2026-12-05" / "scripts" / "topreset.py"), run_name="__main__")
