"""PSNR to the truth over the pixels the true edit changes (64 held-out renders lacking
glasses): the shipped student against the CPU diagnostics."""
import numpy as np, torch
from latentroom.plugins.distill.export import psnr_where_edited
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.evaluate_preset import EVAL_SEED, preset_edit
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, attribute_matrix, edit, render, sample_params
torch.set_num_threads(2)
p = sample_params(EVAL_SEED, 200)
lack = np.flatnonzero(attribute_matrix(p)[:, list(ATTRIBUTE_NAMES).index("glasses")] < 0.5)[:64]
p = {k: v[lack] for k, v in p.items()}
x, y = to_model(render(p, 128)), to_model(render(edit(p, "glasses", 1.0), 128))
shipped = to_model(preset_edit(open("/work/main/presets/glasses/model.onnx", "rb").read())(render(p, 128), 0.83))
print("identity", round(psnr_where_edited(x, y, x), 2))
print("shipped preset", round(psnr_where_edited(x, y, shipped), 2))
for tag in ("truthtrain-glasses-l2", "banktrain-glasses-enc"):
    m = Student(StudentConfig()); m.load_state_dict(torch.load(f"{tag}.pt")); m.eval()
    with torch.no_grad():
        out = m(torch.from_numpy(x), torch.full((len(x),), 3.0)).numpy()
    print(tag, round(psnr_where_edited(x, y, out), 2))
