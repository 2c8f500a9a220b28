# Session 20, calls A, B and C: teachers from each face's own true edit read through the hybrid
# inverter (inverted-truth --param pairs, author --latent-pairs). Session 18 measured that
# the truth read through the hybrid and regenerated keeps the eyes (region error 0.60, judge
# eye size 0.03), while every direction so far, corrected or not, moves them (0.25-0.31).
# ATTRIBUTE, FACES and LIMIT (seconds) may be overridden. Each call ran with one row of
# scripts/author_presets.sh edited in its working tree (none of them is committed):
#   call A: "glasses glasses-pairs x1.6 x1.2 -"
#   call B: "glasses glasses-pairs x1.5 x1 - --pixel-loss,relative"
#   call C: "beard beard-pairs x1.5 x1 --feather=0 --pixel-loss,relative", run as
#           ATTRIBUTE=beard LIMIT=515 bash device-call-a.sh
set -u
T0=$(date +%s)
source presets/_authoring/device-setup.sh
set +e
ATTRIBUTE=${ATTRIBUTE:-glasses}
FACES=${FACES:-2000}
L=$OUT/logs
mkdir -p "$L" "$OUT/dirs" /tmp/pairs
LIMIT=${LIMIT:-570}
left() { echo $(( LIMIT - ($(date +%s) - T0) )); }
D=$OUT/dirs/$ATTRIBUTE-pairs.json
find_cmd=(latentroom direction find inverted-truth -a "$ATTRIBUTE" --layers all --samples "$FACES"
          --param inverter=hybrid --param inverter_batch=256 --param "pairs=/tmp/pairs/$ATTRIBUTE-pairs.npz"
          --device cuda -o "$D")
echo "$(date -u +%FT%TZ) ${find_cmd[*]}" > "$L/find-$ATTRIBUTE.log"
timeout 300 "${find_cmd[@]}" >> "$L/find-$ATTRIBUTE.log" 2>&1
echo "find rc $? at $(( $(date +%s) - T0 ))s"
budget=$(( $(left) - 100 ))
echo "author budget ${budget}s at $(( $(date +%s) - T0 ))s"
ONLY=$ATTRIBUTE BUDGET=$budget DIRECTIONS=$OUT/dirs PAIRS_DIR=/tmp/pairs LOGS=$L PRESETS=/tmp/presets \
    timeout $(( $(left) + 20 )) bash scripts/author_presets.sh
echo "author rc $? at $(( $(date +%s) - T0 ))s"
tail -n 2 "$L/find-$ATTRIBUTE.log" "$L/$ATTRIBUTE.log"
[ -d "/tmp/presets/$ATTRIBUTE" ] && (cd /tmp/presets && tar cf "$L/$ATTRIBUTE-preset.tar" "$ATTRIBUTE")
cd "$OUT" && tar czf "s20-$ATTRIBUTE.tgz" logs dirs && rm -rf logs dirs && ls -la "$OUT"
