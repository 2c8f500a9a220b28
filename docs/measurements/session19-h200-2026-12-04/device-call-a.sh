# Session 19, call A: per-face corrections fitted through the hybrid inverter (session 18 found
# that the hybrid reads glasses inside both bars where the encoder cannot: region 0.60, judge
# others 0.016, eye size 0.03), for glasses and smile; how they read on author's pairs (own
# latent vs hybrid vs encoder); glasses and smile on the generator path; a glasses student
# distilled with the correction reading each sample's own latent, for the time left.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
S=docs/measurements/session19-h200-2026-12-04
L=$OUT/logs
mkdir -p "$L/regions" "$OUT/dirs"
left() { echo $(( 565 - ($(date +%s) - T0) )); }
latentroom toyfaces region glasses -o "$L/regions/glasses.png" > /dev/null
latentroom toyfaces region smile -o "$L/regions/smile.png" > /dev/null
python3 $S/hybrid_rate.py 576 cuda > "$L/hybrid-rate.log" 2>&1
rate=$(tail -n 1 "$L/hybrid-rate.log" | cut -d. -f1)
# Two finds side by side share the GPU; each renders and inverts 3 images per face.
samples=$(( rate * 170 / 2 / 3 ))
(( samples > 2000 )) && samples=2000
(( samples < 300 )) && samples=300
echo "hybrid $rate images/s: $samples faces per find, at $(( $(date +%s) - T0 ))s" | tee -a "$L/hybrid-rate.log"
for a in glasses smile; do
    timeout $(( $(left) - 200 )) latentroom direction find inverted-truth -a $a --layers coarse --samples $samples \
        --param inverter=hybrid --param inverter_batch=192 --param correction=128 --device cuda \
        -o "$OUT/dirs/$a-hybrid-k128.json" > "$L/find-$a.log" 2>&1 &
done
wait
echo "finds done at $(( $(date +%s) - T0 ))s"
G=$OUT/dirs/glasses-hybrid-k128.json
python3 - "$G" "$OUT/dirs/glasses-hybrid-k128-own.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["correction"].pop("reads", None)
d["correction"]["file"] = "glasses-hybrid-k128.correction.npz"
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
T=$(python3 -c "import json; print(round(json.load(open('$OUT/dirs/smile-hybrid-k128.json'))['correction']['truth_strength'], 2))")
echo "smile truth strength $T"
budget=$(( $(left) - 100 ))
echo "author budget ${budget}s at $(( $(date +%s) - T0 ))s"
cmd=(latentroom author glasses --direction "$OUT/dirs/glasses-hybrid-k128-own.json" --generator toyfaces
     --steps 1000000 --time-budget $budget --batch-size 512 --seed 0 --device auto --strength-range -3,3
     --default-strength 2 --region "$L/regions/glasses.png" --feature-weight 0 --adversarial-weight 0
     --pool-size 16384 --reuse 4 --inverter encoder --variants none --log-every 200 --eval-images 500
     --widths 16,32,64,128,160 --author latentroom --license MIT --sheet "$L/glasses-sheet.png" --force
     -o /tmp/presets/glasses)
echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$L/glasses.log"
(OMP_NUM_THREADS=4 timeout $(left) "${cmd[@]}" >> "$L/glasses.log" 2>&1; echo "author rc $? at $(( $(date +%s) - T0 ))s") &
python3 $S/correction_reads.py "$G" --region "$L/regions/glasses.png" --strength 2 --strength -2 --device cuda \
    > "$L/reads-glasses.log" 2>&1
python3 $S/correction_reads.py "$OUT/dirs/smile-hybrid-k128.json" --region "$L/regions/smile.png" --strength $T \
    --device cuda > "$L/reads-smile.log" 2>&1
python3 $S/path_leak.py "$G" "$L/regions/glasses.png" --strength 2 --strength -2 --images 200 --device cuda \
    > "$L/path-glasses.log" 2>&1
latentroom toyfaces evaluate-direction "$OUT/dirs/smile-hybrid-k128.json" --region "$L/regions/smile.png" \
    --inverter hybrid --images 200 --device cuda --json "$L/teacher-smile.json" --sheet "$L/teacher-smile.png" \
    $(python3 -c "print(' '.join(f'--strength {f * $T:.2f}' for f in (0.5, 1, 1.5, 2)))") > "$L/teacher-smile.log" 2>&1
echo "measurements done at $(( $(date +%s) - T0 ))s"
wait
tail -n 3 "$L"/find-*.log "$L/glasses.log"
[ -d /tmp/presets/glasses ] && (cd /tmp/presets && tar cf "$L/glasses-preset.tar" glasses)
cd "$OUT" && tar czf s19a.tgz logs dirs && rm -rf logs dirs && ls -la "$OUT"
