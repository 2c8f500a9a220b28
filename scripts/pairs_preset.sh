#!/usr/bin/env bash
# A toyfaces preset from each face's own true edit, in one device call: find the
# direction with latent pairs (`direction find inverted-truth --param pairs=FILE`: every
# face and its true edits read through the hybrid inverter), measure the pairs' teacher
# on the held-out renders (the inverted truth, the most a student of these pairs can
# reach), then author the preset's row of scripts/author_presets.sh from the pairs.
#
#   ATTRIBUTE=glasses FACES=4000 OUT=out/glasses bash scripts/pairs_preset.sh
#   ROW="beard beard-pairs x1.5 x1 --feather=0 --pixel-loss,relative" ATTRIBUTE=beard OUT=out/beard bash scripts/pairs_preset.sh
#
# The pairs are large (4,000 faces: 150 MB) and made in about two minutes on an H200,
# so they stay in PAIRS_DIR and are never shipped; the find is seeded, so this script
# writes them again. LIMIT is the call's length in seconds, counted from STARTED (epoch
# seconds; by default when this script starts: a call script that installs the tree first
# sets it before, so the install counts too); the author run may end up to 20 s past it,
# so wrap a device call in a timeout that leaves time to pack what it wrote. The author
# run gets what the find leaves, less EXPORT_SECONDS for its export and evaluation, or
# AUTHOR_BUDGET seconds where that is less (to train two calls' students equally long: a
# find that drops more faces takes longer and would leave less). Writes OUT/dirs (the
# direction), OUT/logs (find, ceiling, author log, sheet), OUT/presets/ATTRIBUTE.
# CEILING_IMAGES=0 skips the ceiling (the find is seeded: it measures the same pairs).
# STAGE=find stops after the find (which then gets all of LIMIT, not half), and
# STAGE=author starts from its direction and pairs, so a find too long to share one
# device call with an author run takes a call of its own (same OUT and PAIRS_DIR, on
# the same warm machine); the default, all, runs both.
# INVERTER_OPTIONS, KEY=VALUE pairs split by spaces (e.g. "lr=0.02"), go to the hybrid
# that reads the pairs and to the one that reads the ceiling's renders, alike.
# PAIRS_UNREAD=drop leaves out the faces whose true edit the hybrid did not read
# (inverted-truth's pairs_unread; binary attributes). PAIRS_MISREAD=L (levels; 0, every
# face kept) leaves out those whose read edit, as the generator draws it, is more than L
# from their true edit (inverted-truth's pairs_misread); PAIRS_MISREAD_SIDE=up checks only
# the edit that puts the attribute on (pairs_misread_side; default either). PAIRS_REGIONS=N
# also writes each face's own region, its true edit's pixels grown by N (pairs_regions,
# pairs_region_grow), and author keeps each target's edit there (the ceiling too).
set -u
cd "$(dirname "$0")/.."
T0=${STARTED:-$(date +%s)}
ATTRIBUTE=${ATTRIBUTE:?name the attribute}
OUT=${OUT:?name the output folder}
FACES=${FACES:-4000}
LIMIT=${LIMIT:-560}
EXPORT_SECONDS=${EXPORT_SECONDS:-100}
CEILING_IMAGES=${CEILING_IMAGES:-500}
PAIRS_DIR=${PAIRS_DIR:-/tmp/pairs}
DEVICE=${DEVICE:-cuda}
STAGE=${STAGE:-all}
case "$STAGE" in all | find | author) ;; *) echo "STAGE must be all, find or author"; exit 2 ;; esac
read -r -a inverter_pairs <<<"${INVERTER_OPTIONS:-}"
face_regions=()
ceiling_regions=()
if [[ -n "${PAIRS_REGIONS:-}" ]]; then
    face_regions=(--param pairs_regions=true --param "pairs_region_grow=$PAIRS_REGIONS")
    ceiling_regions=(--face-regions "$PAIRS_REGIONS")
fi
inverter_json=$(python3 -c "import json, sys; from latentroom.engine.cli_options import parse_options; print(json.dumps(parse_options(sys.argv[1:], 'INVERTER_OPTIONS')))" "${inverter_pairs[@]}") || exit 1
ceiling_options=()
for pair in "${inverter_pairs[@]}"; do ceiling_options+=(-O "$pair"); done
logs=$OUT/logs
direction=$OUT/dirs/$ATTRIBUTE-pairs.json
mkdir -p "$logs/regions" "$OUT/dirs" "$PAIRS_DIR"
left() { echo $(( LIMIT - ($(date +%s) - T0) )); }
stamp() { echo "$(date -u +%FT%TZ) $*"; }

find_cmd=(latentroom direction find inverted-truth -a "$ATTRIBUTE" --layers all --samples "$FACES"
          --param inverter=hybrid --param inverter_batch=256 --param "inverter_options=$inverter_json"
          --param "pairs=$PAIRS_DIR/$ATTRIBUTE-pairs.npz" --param "pairs_unread=${PAIRS_UNREAD:-keep}"
          --param "pairs_misread=${PAIRS_MISREAD:-0}" --param "pairs_misread_side=${PAIRS_MISREAD_SIDE:-either}"
          "${face_regions[@]}" --device "$DEVICE" -o "$direction")
(( $(left) > 0 )) || { echo "no time left: LIMIT $LIMIT s from STARTED $T0 has passed"; exit 1; }
if [[ "$STAGE" == author ]]; then
    [[ -s "$direction" && -s "$PAIRS_DIR/$ATTRIBUTE-pairs.npz" ]] \
        || { echo "no pairs in $PAIRS_DIR or direction in $OUT/dirs: run STAGE=find first"; exit 1; }
else
    find_share=2
    [[ "$STAGE" == find ]] && find_share=1
    stamp "${find_cmd[*]}" > "$logs/find-$ATTRIBUTE.log"
    timeout $(( $(left) / find_share )) "${find_cmd[@]}" >> "$logs/find-$ATTRIBUTE.log" 2>&1 || { echo "find failed"; exit 1; }
    echo "find done at $(( $(date +%s) - T0 ))s"
    [[ "$STAGE" == find ]] && exit 0
fi

# The ceiling runs beside the author run (it needs the GPU for seconds, not minutes), in
# the row's region, which author_presets.sh writes before it starts training.
budget=$(( $(left) - EXPORT_SECONDS ))
if [[ -n "${AUTHOR_BUDGET:-}" ]] && (( AUTHOR_BUDGET < budget )); then budget=$AUTHOR_BUDGET; fi
DEVICE=$DEVICE ONLY=$ATTRIBUTE BUDGET=$budget DIRECTIONS=$OUT/dirs PAIRS_DIR=$PAIRS_DIR LOGS=$logs \
    PRESETS=$OUT/presets timeout $(( $(left) + 20 )) bash scripts/author_presets.sh &
author=$!
region=$logs/regions/$ATTRIBUTE.png
for _ in $(seq 60); do [[ -s "$region" ]] && break; sleep 1; done
if (( CEILING_IMAGES > 0 )); then
    truth_strength=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['provenance']['details']['truth_strength'])" "$direction")
    ceiling_cmd=(latentroom toyfaces evaluate-direction "$direction" --region "$region" --inverter hybrid
                 "${ceiling_options[@]}" --inverted-truth "${ceiling_regions[@]}" --strength "$truth_strength"
                 --images "$CEILING_IMAGES" --device "$DEVICE"
                 --json "$logs/ceiling-$ATTRIBUTE.json")
    stamp "${ceiling_cmd[*]}" > "$logs/ceiling-$ATTRIBUTE.log"
    "${ceiling_cmd[@]}" >> "$logs/ceiling-$ATTRIBUTE.log" 2>&1
    echo "ceiling rc $? at $(( $(date +%s) - T0 ))s"
fi
wait "$author"
echo "author rc $? at $(( $(date +%s) - T0 ))s"
(( CEILING_IMAGES > 0 )) && tail -n 3 "$logs/ceiling-$ATTRIBUTE.log"
for log in "$logs/$ATTRIBUTE.log" "$logs/$ATTRIBUTE"-*.log; do
    if [[ -f "$log" ]]; then tail -n 3 "$log"; fi
done
