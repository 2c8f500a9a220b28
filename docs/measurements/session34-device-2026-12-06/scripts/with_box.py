"""Runs a record script with the flattening head's box (plugins/distill/student.py's
FLATTEN_BOX, read when the head runs and when it is exported) set to BOX pixels.
argv: BOX script args..."""
import runpy, sys
import latentroom.plugins.distill.student as student
student.FLATTEN_BOX = int(sys.argv[1])
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
