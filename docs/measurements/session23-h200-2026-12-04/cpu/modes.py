import sys, numpy as np, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[4] / "scripts"))
torch.set_num_threads(2)
from latentroom.plugins.toyfaces import load_generator
from latentroom.plugins.toyfaces import classifier
from latentroom.plugins.toyfaces.renderer import render, sample_params, ATTRIBUTE_NAMES, attribute_matrix
from measure_toyfaces_quality import generate_and_classify
N = int(sys.argv[1])
g = load_generator("cpu"); judge = classifier.load("cpu", arch="judge")
pg, _ = generate_and_classify(g, judge, N, 0, 64)
p = sample_params(777, N); imgs = render(p)
pr = judge.predict(imgs); tr = attribute_matrix(p)
names = list(ATTRIBUTE_NAMES); fw, st = names.index("face_width"), names.index("skin_tone")
np.savez("modes.npz", pg=pg, pr=pr, tr=tr)
for attr in ("glasses", "beard"):
    a = names.index(attr)
    print(attr)
    for lo, hi in ((0, .33), (.33, .66), (.66, 1.01)):
        for slo, shi in ((0, .5), (.5, 1.01)):
            mg = (pg[:, fw] >= lo) & (pg[:, fw] < hi) & (pg[:, st] >= slo) & (pg[:, st] < shi)
            mr = (pr[:, fw] >= lo) & (pr[:, fw] < hi) & (pr[:, st] >= slo) & (pr[:, st] < shi)
            mt = (tr[:, fw] >= lo) & (tr[:, fw] < hi) & (tr[:, st] >= slo) & (tr[:, st] < shi)
            print(f" width {lo:.2f}-{hi:.2f} tone {slo:.1f}-{shi:.1f}: generated {np.mean(pg[mg, a] > .5):.3f} (n {mg.sum()}) renders-judged {np.mean(pr[mr, a] > .5):.3f} (n {mr.sum()}) renders-true {np.mean(tr[mt, a] > .5):.3f} (n {mt.sum()})")
