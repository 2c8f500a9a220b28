"""How far a preset's flattening head flattens: the sigmoid of its flattening logit
and the flattening (its cap times that sigmoid) inside an attribute's region, on held-out
renders at the preset's default strength. argv: preset-dir attribute [n]"""
import json, sys
import numpy as np, onnx, onnxruntime as ort
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.regions import attribute_region
from latentroom.plugins.toyfaces.renderer import render, sample_params
preset, attr = sys.argv[1], sys.argv[2]; n = int(sys.argv[3]) if len(sys.argv) > 3 else 64
model = onnx.load(f"{preset}/model.onnx")
# The head's flattening logit is the one sigmoid of a slice; the flattening is the product
# that takes that sigmoid (node names differ between exports).
nodes = model.graph.node
sigmoid = next(node.output[0] for node in nodes if node.op_type == "Sigmoid" and node.input[0].startswith("slice"))
flattening = next(node.output[0] for node in nodes if node.op_type == "Mul" and sigmoid in node.input)
model.graph.output.extend([onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
                           for name in (sigmoid, flattening)])
sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
s = json.load(open(f"{preset}/preset.json"))["strength"]
x = to_model(render(sample_params(990_000, n), 128)).astype(np.float32)
_, sig, flat = sess.run(None, {"image": x, "strength": np.full(n, s["default"], np.float32)})
region = attribute_region(attr, 128) > 0.5
print(f"default {s['default']} of max {s['max']}: |s_n| = {s['default'] / max(abs(s['min']), s['max']):.3f}")
for name, a in (("sigmoid(f)", sig[:, 0]), ("flattening", flat[:, 0])):
    inside = a[:, region]
    print(f"{name} in the {attr} region: quantiles 10/50/90/99 "
          f"{np.round(np.quantile(inside, [0.1, 0.5, 0.9, 0.99]), 3).tolist()}, share > 0.9: {(inside > 0.9).mean():.3f}")
