"""Session 28's full-resolution-head student (sbase.pt, smooth_head.py's head as
head.net.1 / head.net.3) under the product's names (head.conv / head.out, --head full),
checked by loading it: argv: in.pt out.pt"""
import sys
import torch
from latentroom.plugins.distill.student import Student, StudentConfig
names = {"head.net.1.weight": "head.conv.weight", "head.net.1.bias": "head.conv.bias",
         "head.net.3.weight": "head.out.weight", "head.net.3.bias": "head.out.bias"}
state = {names.get(k, k): v for k, v in torch.load(sys.argv[1]).items()}
Student(StudentConfig(strength_scale=1.0, head="full")).load_state_dict(state)
torch.save(state, sys.argv[2])
