# Session 19, call C: call B's recipe for beard (offsets through the hybrid inverter, a
# two-sided correction read through the encoder; the smile student it gave meets every bar),
# where the shipped beard's teacher, read through the encoder, stacks the input's mouth on the
# beard (judge others 0.044, a smile change of 0.20). The teacher on the generator path, and a
# beard student for the time left (the bundled row's options: a hard-edged region).
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
L=$OUT/logs
mkdir -p "$L/regions" "$OUT/dirs"
left() { echo $(( 525 - ($(date +%s) - T0) )); }
latentroom toyfaces region beard --feather=0 -o "$L/regions/beard.png" > /dev/null
D=$OUT/dirs/beard-hybrid-enc-k128.json
timeout 200 latentroom direction find inverted-truth -a beard --layers coarse --samples 1000 \
    --param inverter=hybrid --param inverter_batch=192 --param correction=128 --param correction_reads=encoder \
    --device cuda -o "$D" > "$L/find-beard.log" 2>&1
echo "find done at $(( $(date +%s) - T0 ))s"
T=$(python3 -c "import json; print(json.load(open('$D'))['correction']['truth_strength'])")
# The shipped beard preset's default, 3, is 2.3 times its direction's truth strength.
default=$(python3 -c "print(round(2.3 * $T, 1))")
echo "beard truth strength $T: range -$default,$default default $default"
budget=$(( $(left) - 95 ))
echo "author budget ${budget}s at $(( $(date +%s) - T0 ))s"
cmd=(latentroom author beard --direction "$D" --generator toyfaces
     --steps 1000000 --time-budget $budget --batch-size 512 --seed 0 --device auto --strength-range -$default,$default
     --default-strength $default --region "$L/regions/beard.png" --feature-weight 0 --adversarial-weight 0
     --pool-size 16384 --reuse 4 --inverter encoder --variants none --log-every 200 --eval-images 500
     --widths 16,32,64,128,160 --author latentroom --license MIT --sheet "$L/beard-sheet.png" --force
     -o /tmp/presets/beard)
echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$L/beard.log"
(OMP_NUM_THREADS=4 timeout $(left) "${cmd[@]}" >> "$L/beard.log" 2>&1; echo "author rc $? at $(( $(date +%s) - T0 ))s") &
latentroom toyfaces evaluate-direction "$D" --region "$L/regions/beard.png" --inverter hybrid --images 200 \
    --device cuda --json "$L/teacher-beard.json" --sheet "$L/teacher-beard.png" --strength $default \
    --strength -$default > "$L/teacher-beard.log" 2>&1
echo "measurements done at $(( $(date +%s) - T0 ))s"
wait
tail -n 3 "$L/find-beard.log" "$L/beard.log"
[ -d /tmp/presets/beard ] && (cd /tmp/presets && tar cf "$L/beard-preset.tar" beard)
cd "$OUT" && tar czf s19c.tgz logs dirs && rm -rf logs dirs && ls -la "$OUT"
