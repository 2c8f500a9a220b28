"""matte_sup.py's TAG.pt as a copy of the bundled beard preset (strength 1 = the whole
edit), for `toyfaces evaluate`, as session 28's topreset.py does for Student states.
argv: tag bundled-preset-dir out-dir"""
import hashlib, json, shutil, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from matte_sup import MatteStudent
from latentroom.plugins.distill.export import export_onnx
tag, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
model = MatteStudent(); model.load_state_dict(torch.load(f"{tag}.pt")); model.eval()
data = export_onnx(model, 128)
shutil.rmtree(out, ignore_errors=True); shutil.copytree(src, out)
(out / "model.onnx").write_bytes(data)
m = json.loads((out / "preset.json").read_text())
m["model"]["sha256"] = hashlib.sha256(data).hexdigest()
m["strength"].update({"min": -1.0, "max": 1.0, "default": 1.0})
m["name"] = m["name"] + "-" + tag
(out / "preset.json").write_text(json.dumps(m, indent=2))
