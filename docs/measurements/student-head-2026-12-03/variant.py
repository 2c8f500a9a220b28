"""Run the latentroom CLI with another student head, for a side-by-side measurement:
    python3 .device-carry/variant.py VARIANT author ...
VARIANT: l3 (the tree's student), l2 (the transposed-conv head, the student of
commit 32f4d79), l3-noskip (l3 without the input's full-resolution skip)."""
import sys

import torch

variant = sys.argv.pop(1)
import latentroom.plugins.distill.student as st

if variant == "l2":
    sys.path.insert(0, ".device-carry")
    import student_l2 as old
    st.Student, st.StudentConfig, st.LAYOUT = old.Student, old.StudentConfig, old.LAYOUT
elif variant == "l3-noskip":
    class NoSkip(st.Student):
        def __init__(self, config=None):
            super().__init__(config)
            for p in self.image_skip.parameters():
                torch.nn.init.zeros_(p)
                p.requires_grad_(False)
    st.Student = NoSkip
elif variant != "l3":
    raise SystemExit(f"unknown variant {variant}")
sys.argv[0] = "latentroom"
from latentroom.engine.cli import main

main()
