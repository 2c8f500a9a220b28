"""The shipped painting student's coverage and colour on some held-out renders:
render | output | coverage | colour (where coverage>0.05) | truth. argv: out.png preset-dir strength amount idx..."""
import sys
import numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto
from PIL import Image
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params
out, folder, strength, amount = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
idx = [int(i) for i in sys.argv[5:]]
m = onnx.load(f"{folder}/model.onnx")
for name in ("mul_289", "add_650"):
    m.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
sess = ort.InferenceSession(m.SerializeToString())
params = sample_params(91000, 320)
faces = {k: v[idx] for k, v in params.items()}
x = render(faces, 128)
inp = x.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1
feeds = {"image": inp}
names = [i.name for i in sess.get_inputs()]
if "strength" in names:
    feeds["strength"] = np.full((len(idx),), strength, np.float32)
y, cov, col = sess.run(["edited", "mul_289", "add_650"], feeds)
to8 = lambda a: np.clip((a.transpose(0, 2, 3, 1) + 1) * 127.5, 0, 255).astype(np.uint8)
covimg = np.repeat((cov[:, 0] * 255).astype(np.uint8)[..., None], 3, -1)
colimg = to8(col) * (cov[:, 0, ..., None] > 0.05)
truth = render(edit(faces, "hair_length", amount), 128)
rows = [np.concatenate([x[i], to8(y)[i], covimg[i], colimg[i].astype(np.uint8), truth[i]], 1) for i in range(len(idx))]
g = Image.fromarray(np.concatenate(rows, 0)); g.resize((g.width * 2, g.height * 2), Image.NEAREST).save(out)
for i in range(len(idx)):
    c = cov[i, 0]; print(idx[i], "coverage in (0.1,0.9):", float(((c > 0.1) & (c < 0.9)).mean()), "coverage>0.9:", float((c > 0.9).mean()))
