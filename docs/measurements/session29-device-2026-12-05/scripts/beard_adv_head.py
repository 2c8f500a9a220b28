"""Session 27's scripts/beard_adv.py with the student's output head taken from HEAD
(author's --head: transposed, the default, or full); argv and the rest of the
environment as that script's. The runs here used a copy of it with its one
StudentConfig line changed to the same effect."""
import functools
import os
import runpy
from pathlib import Path

from latentroom.plugins.distill import student

student.StudentConfig = functools.partial(student.StudentConfig, head=os.environ.get("HEAD", "transposed"))
runpy.run_path(str(Path(__file__).resolve().parents[2] / "session27-cpu-2026-12-05/scripts/beard_adv.py"),
               run_name="__main__")
