"""A painting bank student's coverage and colour on 8 held-out renders (3 shown): input |
coverage (sigmoid(a), unhardened) | colour c | output, 2x. As matte_bank_eval.py, with
this folder on PYTHONPATH. argv: student.pt out.png"""
import sys, torch
from PIL import Image
from latentroom.plugins.distill.student import Student, StudentConfig
from latentroom.plugins.toyfaces.renderer import render, sample_params
from matte_bank_train import paint
torch.set_num_threads(2)
x = render(sample_params(60000, 8), 128)
model = Student(StudentConfig(strength_scale=12.0, head="smooth-flatten")); model.load_state_dict(torch.load(sys.argv[1])); model.eval()
with torch.no_grad():
    t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 127.5 - 1
    out, logit, c = paint(model, t, torch.full((8,), 8.0), 1.0)
m = torch.sigmoid(logit).repeat(1, 3, 1, 1) * 2 - 1
cols = [t, m, c, out]
rows = [torch.cat([k[i] for k in cols], 2) for i in [0, 3, 4]]
img = ((torch.cat(rows, 1).clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
Image.fromarray(img).resize((img.shape[1] * 2, img.shape[0] * 2), Image.NEAREST).save(sys.argv[2])
