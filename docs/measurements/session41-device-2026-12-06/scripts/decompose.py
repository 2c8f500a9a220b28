"""The painted hair_length's coverage and colour on the truth sheet's faces: input |
coverage (the sigmoid, before the strength fade) | colour where covered | output | truth,
magnified. argv: preset-dir out.png"""
import sys
import numpy as np
import onnx, onnxruntime as ort
from PIL import Image
from latentroom.plugins.toyfaces.renderer import edit, render, sample_params

model = onnx.load(f"{sys.argv[1]}/model.onnx")
# The coverage before the strength fade is the exported graph's tensor "sigmoid".
model.graph.output.append(onnx.helper.make_tensor_value_info("sigmoid", onnx.TensorProto.FLOAT, None))
sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
params = sample_params(60000, 6)
x = render(params, 128)
truth = render(edit(params, "hair_length", 0.2305), 128)
inp = {sess.get_inputs()[0].name: (x.transpose(0, 3, 1, 2) / 127.5 - 1).astype(np.float32),
       sess.get_inputs()[1].name: np.full(6, 8, np.float32)}
out, cov = sess.run(None, inp)
out = ((np.clip(out, -1, 1) + 1) * 127.5).transpose(0, 2, 3, 1)
m = cov[:, 0, :, :, None]
# out = x + m (c - x)  =>  c = x + (out - x) / m where m is large
colour = np.where(m > 0.5, x + (out - x) / np.maximum(m, 1e-3), 0)
cols = [x, np.repeat(m * 255, 3, -1), np.clip(colour, 0, 255), out, truth]
grid = np.concatenate([np.concatenate([c[i] for c in cols], 1) for i in range(6)], 0).astype(np.uint8)
Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(sys.argv[2])
print("coverage share in (0.1, 0.9):", ((m > 0.1) & (m < 0.9)).mean(), "above 0.9:", (m >= 0.9).mean())
