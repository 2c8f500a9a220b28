# Session 18, call B: the beard student of call A again, alone on the GPU for about twice the steps.
# In call A (side by side with glasses, 4,805 steps) the two-sided beard student was cleaner than the
# shipped one (region error, outside change, judge others) but drew a weaker beard at +3 and took it
# off fewer faces at -3 than its teacher does (0.67 against the generator path's 0.99): undertrained
# on the bearded faces, the few the presence gate leaves a negative edit to learn from.
# The direction is found again here (the working tree cannot carry its 1.2 MB correction).
# The first attempt was lost (the machine was taken back mid-run); this ran with 723 s of device
# time left, hence the shorter limit.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$OUT/logs/regions" "$OUT/dirs"
left() { echo $(( 520 - ($(date +%s) - T0) )); }
latentroom direction find inverted-truth -a beard --layers coarse --samples 2000 --param correction=128 \
    --device cuda -o "$OUT/dirs/beard-k128-two-sided.json" > "$OUT/logs/find-beard.log" 2>&1
echo "find done at $(( $(date +%s) - T0 ))s"
latentroom toyfaces region beard --feather=0 -o "$OUT/logs/regions/beard.png" > /dev/null
budget=$(( $(left) - 75 ))
echo "author budget ${budget}s"
log=$OUT/logs/beard.log
cmd=(latentroom author beard --direction "$OUT/dirs/beard-k128-two-sided.json" --generator toyfaces --steps 1000000
     --time-budget $budget --batch-size 512 --seed 0 --device auto --strength-range -3,3 --default-strength 3
     --region "$OUT/logs/regions/beard.png" --feature-weight 0 --adversarial-weight 0 --pool-size 16384 --reuse 4
     --inverter encoder --variants none --log-every 200 --eval-images 500 --widths 16,32,64,128,160
     --author latentroom --license MIT --sheet "$OUT/logs/beard-sheet.png" --force -o /tmp/presets/beard)
echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$log"
OMP_NUM_THREADS=2 timeout $(left) "${cmd[@]}" >> "$log" 2>&1
echo "author beard rc $? at $(( $(date +%s) - T0 ))s"
tail -n 3 "$OUT/logs/find-beard.log" "$log"
cd /tmp/presets && tar cf "$OUT/logs/beard-preset.tar" beard
cd "$OUT" && tar czf s18b.tgz logs dirs && rm -rf logs dirs && ls -la "$OUT"
