"""The bundled beard preset's model on the renders and on the encoder's readings of the
same faces (session 27's bank, held-out faces): is its beard more solid on the images
it trained on (the generator's)? argv: bank preset-dir strength out.png"""
import sys
import numpy as np, onnxruntime as ort, torch
from PIL import Image
from latentroom.plugins.distill.quality import to_model
from latentroom.plugins.toyfaces.renderer import render, sample_params
bank = torch.load(sys.argv[1]); preset = sys.argv[2]; s = float(sys.argv[3])
sess = ort.InferenceSession(f"{preset}/model.onnx", providers=["CPUExecutionProvider"])
names = [i.name for i in sess.get_inputs()]
faces = [1, 2, 3, 5, 6, 9, 12, 14]
n = len(bank["x"]); idx = [n - 64 + k for k in faces]
start = (n - 64) // 64 * 64
renders = to_model(render(sample_params(7000 + start, 64), 128))[[n - 64 - start + k for k in faces]]
readings = bank["x"][idx].float().numpy()
def run(x):
    return sess.run(None, {names[0]: x.astype(np.float32), names[1]: np.full(len(x), s, np.float32)})[0]
pix = lambda a: ((np.clip(a, -1, 1) + 1) * 127.5).astype(np.uint8).transpose(0, 2, 3, 1)
cols = [pix(renders), pix(run(renders)), pix(readings), pix(run(readings))]
Image.fromarray(np.concatenate([np.concatenate([c[i] for c in cols], 1) for i in range(len(faces))], 0)).save(sys.argv[4])
