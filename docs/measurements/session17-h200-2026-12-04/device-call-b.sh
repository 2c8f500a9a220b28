# Session 17, call B: the glasses preset from a direction whose per-face correction reads each
# teacher sample through the encoder it was fitted through (session 16's CPU probe: teacher pairs
# leak 0.081 against the plain direction's 0.100, gated 0.059 against 0.073). The author options are
# the shipped glasses preset's (presets/_authoring/glasses.log, 450 s alone on an H200) with a
# shorter budget, so any gain over the shipped figures is conservative.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$OUT/logs/regions" "$OUT/dirs"
left() { echo $(( 555 - ($(date +%s) - T0) )); }
log=$OUT/logs/glasses-k128-read.log
latentroom direction find inverted-truth -a glasses --layers coarse --samples 2000 --param correction=128 \
    --device cuda -o "$OUT/dirs/glasses-k128-read.json" > "$OUT/logs/find.log" 2>&1
echo "find rc $? at $(( $(date +%s) - T0 ))s"
latentroom toyfaces region glasses -o "$OUT/logs/regions/glasses.png" > /dev/null
budget=$(( $(left) - 110 ))
cmd=(latentroom author glasses --direction "$OUT/dirs/glasses-k128-read.json" --generator toyfaces --steps 1000000
     --time-budget $budget --batch-size 512 --seed 0 --device auto --strength-range -3,3 --default-strength 2
     --region "$OUT/logs/regions/glasses.png" --feature-weight 0 --adversarial-weight 0 --pool-size 16384 --reuse 4
     --inverter encoder --variants none --log-every 200 --eval-images 500 --widths 16,32,64,128,160
     --author latentroom --license MIT --sheet "$OUT/logs/glasses-k128-read-sheet.png" --force -o /tmp/presets/glasses)
echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$log"
OMP_NUM_THREADS=2 timeout $(left) "${cmd[@]}" >> "$log" 2>&1
echo "author rc $? at $(( $(date +%s) - T0 ))s"
tail -n 4 "$OUT/logs/find.log" "$log"
cd /tmp/presets && tar cf "$OUT/logs/glasses-preset.tar" glasses
cd "$OUT" && tar czf s17b.tgz logs dirs && rm -rf logs dirs && ls -la "$OUT"
