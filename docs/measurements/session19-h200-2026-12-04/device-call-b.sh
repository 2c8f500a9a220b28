# Session 19, call B: a smile teacher whose offsets come through the hybrid inverter and whose
# correction reads faces through the encoder (inverted-truth correction_reads=encoder), so that
# author can read every training sample (call A: the hybrid takes 26 images/s on the H200, and
# its smile correction read as each sample's own latent gives 25% less smile than as read by the
# hybrid; through the encoder, 12% less). The teacher on the generator path, its pairs read three
# ways, and a smile student for the time left.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
S=docs/measurements/session19-h200-2026-12-04
L=$OUT/logs
mkdir -p "$L/regions" "$OUT/dirs"
left() { echo $(( 565 - ($(date +%s) - T0) )); }
latentroom toyfaces region smile -o "$L/regions/smile.png" > /dev/null
D=$OUT/dirs/smile-hybrid-enc-k128.json
timeout 260 latentroom direction find inverted-truth -a smile --layers coarse --samples 1100 \
    --param inverter=hybrid --param inverter_batch=192 --param correction=128 --param correction_reads=encoder \
    --device cuda -o "$D" > "$L/find-smile.log" 2>&1
echo "find done at $(( $(date +%s) - T0 ))s"
T=$(python3 -c "import json; print(json.load(open('$D'))['correction']['truth_strength'])")
read -r low default <<<"$(python3 -c "print(round(3 * $T, 1), round(2 * $T, 1))")"
echo "smile truth strength $T: range -$low,$low default $default"
budget=$(( $(left) - 100 ))
echo "author budget ${budget}s at $(( $(date +%s) - T0 ))s"
cmd=(latentroom author smile --direction "$D" --generator toyfaces
     --steps 1000000 --time-budget $budget --batch-size 512 --seed 0 --device auto --strength-range -$low,$low
     --default-strength $default --region "$L/regions/smile.png" --feature-weight 0 --adversarial-weight 0
     --pool-size 16384 --reuse 4 --inverter encoder --variants none --log-every 200 --eval-images 500
     --widths 16,32,64,128,160 --author latentroom --license MIT --sheet "$L/smile-sheet.png" --force
     -o /tmp/presets/smile)
echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$L/smile.log"
(OMP_NUM_THREADS=4 timeout $(left) "${cmd[@]}" >> "$L/smile.log" 2>&1; echo "author rc $? at $(( $(date +%s) - T0 ))s") &
python3 $S/correction_reads.py "$D" --region "$L/regions/smile.png" --strength $default --device cuda \
    > "$L/reads-smile.log" 2>&1
latentroom toyfaces evaluate-direction "$D" --region "$L/regions/smile.png" --inverter hybrid --images 200 \
    --device cuda --json "$L/teacher-smile.json" --sheet "$L/teacher-smile.png" \
    $(python3 -c "print(' '.join(f'--strength {f * $T:.2f}' for f in (1, 2, 2.5, 3)))") > "$L/teacher-smile.log" 2>&1
echo "measurements done at $(( $(date +%s) - T0 ))s"
wait
tail -n 3 "$L/find-smile.log" "$L/smile.log"
[ -d /tmp/presets/smile ] && (cd /tmp/presets && tar cf "$L/smile-preset.tar" smile)
cd "$OUT" && tar czf s19b.tgz logs dirs && rm -rf logs dirs && ls -la "$OUT"
