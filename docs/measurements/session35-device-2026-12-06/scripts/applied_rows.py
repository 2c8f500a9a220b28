"""The 'applied' truth figures of preset manifests: region error / outside / judge ratio /
others (/ appear), per evaluated strength. argv: preset.json..."""
import json, sys
for path in sys.argv[1:]:
    figures = json.load(open(path))["x-distill"]["quality"]["truth"]["figures"]["applied"]
    cells = []
    for strength, f in figures.items():
        keys = ["region_error", "outside_change", "judge_target_ratio", "judge_other_change", "judge_appear_rate"]
        cells.append(f"{strength}: " + " / ".join(f"{f[k]:.3f}" for k in keys if k in f))
    print(path, "|", " | ".join(cells))
