# Session 18, call A: glasses and beard students distilled from two-sided corrected directions
# (inverted-truth --param correction=128: each side of zero fitted against its own true edit, read
# through the encoder; session 17's CPU probe, docs/distillation.md "A two-sided correction").
# The finds run side by side, then the two author runs side by side with the bundled rows' options
# (scripts/author_presets.sh: glasses -3,3 default 2; beard -3,3 default 3 on a hard-edged region),
# as the shipped glasses and beard were authored (450 s side by side), on a slightly shorter budget.
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
mkdir -p "$OUT/logs/regions" "$OUT/dirs"
left() { echo $(( 560 - ($(date +%s) - T0) )); }
for a in glasses beard; do
    latentroom direction find inverted-truth -a $a --layers coarse --samples 2000 --param correction=128 \
        --device cuda -o "$OUT/dirs/$a-k128-two-sided.json" > "$OUT/logs/find-$a.log" 2>&1 &
done
wait
echo "finds done at $(( $(date +%s) - T0 ))s"
latentroom toyfaces region glasses -o "$OUT/logs/regions/glasses.png" > /dev/null
latentroom toyfaces region beard --feather=0 -o "$OUT/logs/regions/beard.png" > /dev/null
budget=$(( $(left) - 120 ))
echo "author budget ${budget}s"
author() {  # name range default
    local log=$OUT/logs/$1.log
    local cmd=(latentroom author $1 --direction "$OUT/dirs/$1-k128-two-sided.json" --generator toyfaces --steps 1000000
         --time-budget $budget --batch-size 512 --seed 0 --device auto --strength-range $2 --default-strength $3
         --region "$OUT/logs/regions/$1.png" --feature-weight 0 --adversarial-weight 0 --pool-size 16384 --reuse 4
         --inverter encoder --variants none --log-every 200 --eval-images 500 --widths 16,32,64,128,160
         --author latentroom --license MIT --sheet "$OUT/logs/$1-sheet.png" --force -o /tmp/presets/$1)
    echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$log"
    OMP_NUM_THREADS=2 timeout $(left) "${cmd[@]}" >> "$log" 2>&1
    echo "author $1 rc $? at $(( $(date +%s) - T0 ))s"
}
author glasses -3,3 2 &
author beard -3,3 3 &
wait
for a in glasses beard; do tail -n 3 "$OUT/logs/find-$a.log" "$OUT/logs/$a.log"; done
cd /tmp/presets && for n in *; do tar cf "$OUT/logs/$n-preset.tar" "$n"; done
cd "$OUT" && tar czf s18a.tgz logs dirs && rm -rf logs dirs && ls -la "$OUT"
