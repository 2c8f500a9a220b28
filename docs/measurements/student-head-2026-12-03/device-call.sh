# Session 11, call A: (1) one student alone for authoring throughput (layout 3, the
# bundled settings); (2) the student's head side by side: l2 (transposed-conv head),
# l3 (full-resolution refinement with the input's skip), l3-noskip, on glasses and
# beard, 200 s each, six runs sharing the GPU.
# Run from the repository root on the device; .device-carry/setup.sh is
# presets/_authoring/device-setup.sh, carried beside the tree.
set -u
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/ab/regions" "$OUT/tp"
latentroom toyfaces region glasses -o "$OUT/ab/regions/glasses.png" >/dev/null
latentroom toyfaces region beard --feather=0 -o "$OUT/ab/regions/beard.png" >/dev/null
OMP_NUM_THREADS=2 timeout 120 latentroom author tp --direction plugins/directions/shipped/glasses-from-truth.json \
    --generator toyfaces --steps 1000000 --time-limit ${TP_SECONDS:-50} --batch-size 512 --seed 0 --device auto \
    --strength-range -3,3 --default-strength 2 --region "$OUT/ab/regions/glasses.png" --feature-weight 0 --pool-size 16384 \
    --reuse 4 --inverter encoder --variants none --log-every 100 -o /tmp/tp > "$OUT/tp/throughput-alone.log" 2>&1
echo "throughput rc $?"; grep -E "^step|pool" "$OUT/tp/throughput-alone.log"
pids=()
for row in "glasses glasses-from-truth 2" "beard beard-from-truth 3"; do
    read -r name direction default <<<"$row"
    for variant in l2 l3 l3-noskip; do
        cmd=(python3 .device-carry/variant.py "$variant" author "$name" --direction "plugins/directions/shipped/$direction.json"
             --generator toyfaces --steps 1000000 --time-budget ${AB_SECONDS:-200} --batch-size 512 --seed 0 --device auto
             --strength-range -3,3 --default-strength "$default" --region "$OUT/ab/regions/$name.png" --feature-weight 0
             --pool-size 16384 --reuse 4 --inverter encoder --variants none --log-every 200 --eval-images 200
             --sheet "$OUT/ab/$name-$variant-sheet.png" --force -o "/tmp/ab/$name-$variant")
        echo "$(date -u +%FT%TZ) ${cmd[*]}" > "$OUT/ab/$name-$variant.log"
        OMP_NUM_THREADS=2 timeout 420 "${cmd[@]}" >> "$OUT/ab/$name-$variant.log" 2>&1 &
        pids+=($!)
    done
done
for pid in "${pids[@]}"; do wait "$pid"; done
for d in /tmp/ab/*/; do cp "$d/preset.json" "$OUT/ab/$(basename "$d").json" 2>/dev/null; done
for f in "$OUT"/ab/*.log; do echo "== $f"; grep -E "^step" "$f" | tail -n 1; tail -n 1 "$f"; done
python3 - "$OUT/ab" <<'PY'
import json, sys, pathlib
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    m = json.load(open(f))["metrics"]
    print(f.stem, *(f"{k} {m.get(k)}" for k in ("psnr", "truth_region_error", "truth_outside_change", "judge_target_ratio",
          "judge_other_change", "judge_appear_rate", "train_steps", "student_gmacs", "cpu_img_per_s_b16")))
PY
cd "$OUT" && tar czf ab.tgz ab tp && rm -rf ab tp && ls -la "$OUT"
