"""A bank student (train_bank.py's TAG.pt, strength 1 = the whole edit) as a copy of a
bundled preset, for `toyfaces evaluate`. argv: tag bundled-preset-dir out-dir;
HEAD (added in session 33) is the student's head, transposed by default as it ran;
WIDTHS (added in session 34) the student's widths, the default student's by default."""
import hashlib, json, os, shutil, sys
from pathlib import Path
import torch
from latentroom.plugins.distill.export import export_onnx
from latentroom.plugins.distill.student import DEFAULT_WIDTHS, Student, StudentConfig
tag, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
widths = tuple(int(v) for v in os.environ["WIDTHS"].split(",")) if "WIDTHS" in os.environ else DEFAULT_WIDTHS
model = Student(StudentConfig(widths=widths, strength_scale=1.0, head=os.environ.get("HEAD", "transposed")))
model.load_state_dict(torch.load(f"{tag}.pt")); model.eval()
data = export_onnx(model, 128)
shutil.rmtree(out, ignore_errors=True); shutil.copytree(src, out)
(out / "model.onnx").write_bytes(data)
m = json.loads((out / "preset.json").read_text())
m["model"]["sha256"] = hashlib.sha256(data).hexdigest()
m["strength"].update({"min": -1.0, "max": 1.0, "default": 1.0})
m["name"] = m["name"] + "-" + tag
(out / "preset.json").write_text(json.dumps(m, indent=2))
