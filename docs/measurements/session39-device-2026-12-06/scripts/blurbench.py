"""The 3x3 binomial blur alone on ONNX Runtime's CPU provider (2 threads), on
[16, 4, 128, 128]: an edge Pad and a depthwise Conv against an edge Pad and two 2x2
stride-1 AveragePools; their largest difference, then the median of 200 interleaved
calls each (the first four runs in session 39 took 30)."""
import time, numpy as np, onnxruntime as ort
from onnx import helper, TensorProto, numpy_helper
k = np.outer([1, 2, 1], [1, 2, 1]).astype(np.float32) / 16
def model(nodes, inits):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16, 4, 128, 128])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()
pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")
conv = model([helper.make_node("Pad", ["x", "pads"], ["p"], mode="edge"),
              helper.make_node("Conv", ["p", "w"], ["y"], group=4, kernel_shape=[3, 3])],
             [pads, numpy_helper.from_array(np.repeat(k[None, None], 4, 0), "w")])
pool = model([helper.make_node("Pad", ["x", "pads"], ["p"], mode="edge"),
              helper.make_node("AveragePool", ["p"], ["q"], kernel_shape=[2, 2], strides=[1, 1]),
              helper.make_node("AveragePool", ["q"], ["y"], kernel_shape=[2, 2], strides=[1, 1])], [pads])
so = ort.SessionOptions(); so.intra_op_num_threads = 2
x = np.random.rand(16, 4, 128, 128).astype(np.float32)
sess = {n: ort.InferenceSession(m, so, providers=["CPUExecutionProvider"]) for n, m in (("conv", conv), ("pool", pool))}
outs = {n: s.run(None, {"x": x})[0] for n, s in sess.items()}
print("max diff", np.abs(outs["conv"] - outs["pool"]).max())
times = {n: [] for n in sess}
for _ in range(200):
    for n, s in sess.items():
        t = time.perf_counter(); s.run(None, {"x": x}); times[n].append(time.perf_counter() - t)
print({n: f"{np.median(v) * 1e3:.2f} ms" for n, v in times.items()})
