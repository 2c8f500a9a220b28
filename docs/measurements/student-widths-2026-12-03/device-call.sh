# Session 12, call B: glasses and beard with the presence gate, each with the bundled
# student (16..160) and a wider one (24,48,96,192,224), four runs side by side for the
# same wall time; the shipped settings otherwise (scripts/author_presets.sh rows).
# Run as: bash .device-carry/s12b.sh from the repository root on the device.
set -u
T=${T:-400}
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/b"
latentroom toyfaces region glasses -o /tmp/glasses.png >/dev/null
latentroom toyfaces region beard --feather 0 -o /tmp/beard.png >/dev/null
pids=()
for row in "glasses glasses-from-truth 2" "beard beard-from-truth 3"; do
  read -r attr direction default <<<"$row"
  for widths in 16,32,64,128,160 24,48,96,192,224; do
    name=$attr-w${widths//,/-}
    cmd=(latentroom author "$attr" --direction "plugins/directions/shipped/$direction.json" --generator toyfaces
         --steps 1000000 --time-budget "$T" --batch-size 512 --seed 0 --device auto --strength-range -3,3
         --default-strength "$default" --region "/tmp/$attr.png" --feature-weight 0 --adversarial-weight 0
         --pool-size 16384 --reuse 4 --inverter encoder --variants none --log-every 200 --eval-images 500
         --widths "$widths" --author latentroom --license MIT --sheet "$OUT/b/$name-sheet.png" --force -o "/tmp/b/$name")
    echo "$(date -u +%FT%TZ) ${cmd[*]}" > "$OUT/b/$name.log"
    OMP_NUM_THREADS=2 "${cmd[@]}" >> "$OUT/b/$name.log" 2>&1 &
    pids+=($!)
  done
done
for pid in "${pids[@]}"; do wait "$pid"; echo "rc $?"; done
for d in /tmp/b/*/; do n=$(basename "$d"); mkdir -p "$OUT/b/$n"; cp "$d/preset.json" "$d/model.onnx" "$d/preview.png" "$OUT/b/$n/"; done
for f in "$OUT"/b/*.log; do echo "== $f"; grep -E "^step" "$f" | tail -n 1; tail -n 2 "$f"; done
python3 - <<'PY'
import json, glob, os
for f in sorted(glob.glob(os.environ["OUT"] + "/b/*/preset.json")):
    m = json.load(open(f))["metrics"]
    print(f.split("/")[-2], {k: m.get(k) for k in ("psnr", "psnr_edited_pixels", "psnr_edited_pixels_identity",
          "truth_region_error", "truth_outside_change", "judge_target_ratio", "judge_other_change", "judge_appear_rate",
          "train_steps", "student_gmacs")})
PY
# At most 8 files of 16 MiB come back: one archive of presets per attribute, one of logs and sheets.
cd "$OUT/b" && tar czf ../logs-b.tgz *.log *.png && tar cf ../glasses.tar glasses-w* && tar cf ../beard.tar beard-w* \
  && cd .. && rm -rf b && ls -la "$OUT"
