#!/usr/bin/env bash
# Author the bundled presets (presets/NAME), all five side by side on one GPU, each
# from a local teacher: the direction's edit kept inside the attribute's region
# (`latentroom toyfaces region`), evaluated against the renderer's truth with the
# independent judge (plugins/toyfaces/weights/judge.pt must exist: train it first
# with `python -m latentroom.plugins.toyfaces.train_classifier --arch judge --seed 1 ...`).
#
#   BUDGET=400 bash scripts/author_presets.sh     # the bundled presets (2026-12-03)
#   ONLY="age beard" BUDGET=5 BATCH=8 POOL=64 EVAL_IMAGES=16 DEVICE=cpu PRESETS=/tmp/p bash scripts/author_presets.sh
#
# Training pairs come from a pool of POOL teacher pairs on the device, each drawn
# REUSE times on average (author --pool-size/--reuse): the teacher then costs a
# REUSE-th per training pair.
#
# No perceptual term by default (FEATURE_WEIGHT=0): in the same 400 s on an H200 the
# squared pixel loss alone took twice the steps and reached its teachers closer than
# with the toyfaces classifier's features at 0.5 (docs/distillation.md).
#
# EXTRA holds more author options for every run, e.g. EXTRA="--keep-state" to keep
# each training state, then EXTRA="--resume" with a larger BUDGET to train further
# (the learning rate's anneal spans the whole budget over the resumed runs).
#
# Directions are read from DIRECTIONS (the shipped ones by default). A direction found
# with latent pairs (`direction find inverted-truth --param pairs=FILE`) is distilled
# from them (author --latent-pairs $PAIRS_DIR/FILE): the pairs are large and made on
# the GPU in minutes, so they are not shipped: the row's comment must give the find
# that writes them into PAIRS_DIR.
# A row's range and default may be multiples of the direction's truth strength
# (x1.5: -1.5 to 1.5 times it; x-1.5,x2: -1.5 to 2 times it), the strength whose edit
# is the true one. ROW replaces the bundled rows with its own, e.g. for a candidate
# found on the device; several rows are separated by ';', and a row named
# ATTRIBUTE-LABEL is a variant of that attribute (its own preset and log, the
# attribute's region), so variants train side by side on the same budget:
#   ROW="glasses glasses-pairs x1.5 x1 - --pixel-loss,relative" DIRECTIONS=out/dirs bash scripts/author_presets.sh
#   ROW="glasses glasses-pairs x1 x1 - --pixel-loss,relative;glasses-adv glasses-pairs x1 x1 - --pixel-loss,relative,--adversarial-weight,0.0005" ...
#   ROW="glasses glasses-pairs x1 x1 - --pixel-loss,relative,--partial-edit,latent;glasses-fade glasses-pairs x1 x1 - --pixel-loss,relative" ...
#
# Each run trains for BUDGET seconds (the learning rate anneals against it), then
# exports, evaluates and writes $PRESETS/NAME, its log $LOGS/NAME.log and its
# contact sheet $LOGS/NAME-sheet.png.
set -u
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-300}
BATCH=${BATCH:-512}
DEVICE=${DEVICE:-auto}
LOGS=${LOGS:-out/author-logs}
PRESETS=${PRESETS:-presets}
ADVERSARIAL=${ADVERSARIAL:-0}
FEATURE_WEIGHT=${FEATURE_WEIGHT:-0}
POOL=${POOL:-16384}
REUSE=${REUSE:-4}
ONLY=${ONLY:-}
DIRECTIONS=${DIRECTIONS:-plugins/directions/shipped}
PAIRS_DIR=${PAIRS_DIR:-out/pairs}
EVAL_IMAGES=${EVAL_IMAGES:-500}
WIDTHS=${WIDTHS:-16,32,64,128,160}
read -r -a extra <<<"${EXTRA:-}"
mkdir -p "$LOGS" "$LOGS/regions"
# name, direction file, strength range, default strength, region options and (optional)
# more author options, comma-separated: inside each
# direction's measured realistic range, chosen by the teacher's figures against the
# renderer's truth (docs/measurements/teachers-2026-12-03). smile from offsets read
# through the hybrid inverter with a correction read through the encoder (session 19:
# the encoder sees a fifth of the true smile change; the student meets every bar).
# hair_length on a hard-edged region (a feathered edge lets the entangled change leak
# outside) of the pixels a true edit changes on at least 20% of faces (the 1% footprint
# let the student draw a halo round the head: 5.1 levels outside at 5%, 4.2 at 10%, 3.4
# at 20%; docs/distillation.md), and with pairs moved as the face template's crops move
# faces (session 21: through `apply` its judge ratio was 0.799 without), with the
# flattening head (session 34: its hair less see-through, judge ratio 0.92 -> 1.01
# through `apply`; session 35, its cap raised: 1.05; session 37, alone on the GPU for 460 s:
# 1.11, its new hair more opaque), smoothed (session 39: the plain head's 2-pixel grid
# gone from the new hair, every truth figure a little closer), then with the painting
# head in its place (session 40: beside the face 0.85 of the true change against 0.81,
# crisper edges, 2.3 levels outside against 2.9). Since session 44 hair_length is painted
# from each face's own true edit read through the hybrid (latent pairs of 2,500 faces,
# the latent path below the truth's strength, range and default at 1.5 times it; the
# direction's teacher drew light and grey hair see-through and a halo round the head,
# the pairs' teacher draws it solid: against the same truths it is closer in the region
# and changes less outside, docs/distillation.md). Since session 52 each of its targets
# is kept inside its face's own true edit grown by 2 px (PAIRS_REGIONS=2), inside the
# pixels a true edit changes on 1% of faces (the pairs' teacher draws no halo): the 20%
# region cut the truth's own new hair, and each face's region keeps the generator's
# stray locks out (through `apply`, by one evaluation: region error 0.37 -> 0.23, and
# 1.15 -> 0.67 levels outside). glasses from each face's own true edit read through the
# hybrid (latent pairs of 4,000 faces, weighted by the size of each edit, jittered as
# hair_length's; session 22: every direction drew a tinted box round the eyes), up to
# the truth's strength (beyond it the rings double), read at the hybrid's learning rate
# 0.02 (session 23: at its default 0.06 the reading of 18% of the true edits wears no
# frames, at 0.02 of 3%). beard the same way, on a hard-edged region, without the
# faces whose true edit the hybrid could
# not read (pairs_unread=drop: a beard on long hair, which the generator hardly draws;
# kept, they taught the student to leave such faces bare), to 1.25 times the truth's
# strength both ways with its default at the truth's (session 46: taught to 1.75 times
# with its default at 1.5, the student learnt a teacher extrapolated past each face's
# own edit, which draws every face's beard differently, and came out farther from the
# truth and more blurred). Below the truth's strength glasses fades each face's whole edit in
# (the default since session 25: the generator's path part of the way draws glasses as a
# dark box, then outsized frames, and a student of it averaged them into doubled rings;
# session 26's glasses draws single rings). beard keeps that path (--partial-edit
# latent): faded in, its beard came out no cleaner at its default and took beards off
# fewer faces (docs/distillation.md, "Faded partial strengths on the device"). beard
# with the flattening head, its cap raised, and the absolute error from 0.6 of the
# budget (session 35: an opaque beard without the jaw line or hatching, kept to the jaw;
# better on every truth figure but the judge's others, 0.021 -> 0.028). With the input's own
# mouth kept in its targets (--keep-mouth; session 37: the mouth back on most faces, the
# error in its box 14.8 -> 13.6 levels and in the rest of the beard 12.5 -> 11.9). Its
# flattening head's outputs are smoothed (--head smooth-flatten; session 39: the plain head's
# 2-pixel dot hatching gone from the beard, which is as opaque; session 41: the painting
# head's edge crisp but ragged, every truth figure but one worse, so neither glasses nor
# beard paints).
# Their pairs are written by
#   PAIRS_REGIONS=2 CEILING_IMAGES=0 ATTRIBUTE=hair_length FACES=2500 OUT=DIR bash scripts/pairs_preset.sh
#   INVERTER_OPTIONS="lr=0.02" ATTRIBUTE=glasses FACES=4000 OUT=DIR bash scripts/pairs_preset.sh
#   INVERTER_OPTIONS="lr=0.06" PAIRS_UNREAD=drop CEILING_IMAGES=0 ATTRIBUTE=beard FACES=4000 OUT=DIR \
#       bash scripts/pairs_preset.sh
# which then run their rows (beard's were read at the hybrid's default then, lr 0.06).
presets=(
  "smile smile-hybrid-enc-k128 -1.7,1.7 1.1 -"
  "age age -3,3 3 -"
  "hair_length hair_length-pairs x1.5 x1.5 --share=0.01,--feather=0 --jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,--partial-edit,latent,--head,paint"
  "glasses glasses-pairs x1 x1 - --pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3"
  "beard beard-pairs x1.25 x1 --feather=0 --pixel-loss,relative,--jitter-shift,13,--jitter-scale,0.12,--jitter-rotate,3,--partial-edit,latent,--head,smooth-flatten,--l1-start,0.6,--keep-mouth"
)
[[ -n "${ROW:-}" ]] && IFS=';' read -r -a presets <<<"$ROW"
# Times the direction's truth strength for xK, the number itself otherwise.
in_truth_units() {
    case "$2" in
        x*) python3 -c "import json, sys; d = json.load(open(sys.argv[1]))['provenance']['details'];
print(round(float(sys.argv[2]) * d['truth_strength'], 3))" "$1" "${2#x}" ;;
        *) echo "$2" ;;
    esac
}
# --latent-pairs PAIRS_DIR/FILE when the direction was found with pairs.
pairs_args() {
    python3 -c "import json, sys; p = json.load(open(sys.argv[1]))['provenance']['details'].get('pairs');
print('--latent-pairs', sys.argv[2] + '/' + p['file']) if p else None" "$1" "$PAIRS_DIR"
}
pids=()
for row in "${presets[@]}"; do
    read -r name direction range default region_options author_options <<<"$row"
    attribute=${name%%-*}
    [[ -n "$ONLY" && " $ONLY " != *" $attribute "* ]] && continue
    region="$LOGS/regions/$attribute.png"
    region_args=()
    [[ "$region_options" != "-" ]] && IFS=, read -r -a region_args <<<"$region_options"
    latentroom toyfaces region "$attribute" "${region_args[@]}" -o "$region" >/dev/null
    file="$DIRECTIONS/$direction.json"
    if [[ "$range" == x*,x* ]]; then
        range="$(in_truth_units "$file" "${range%%,*}"),$(in_truth_units "$file" "${range#*,}")"
    elif [[ "$range" == x* ]]; then
        high=$(in_truth_units "$file" "$range")
        range="-$high,$high"
    fi
    default=$(in_truth_units "$file" "$default")
    read -r -a pairs <<<"$(pairs_args "$file")"
    row_args=()
    [[ -n "${author_options:-}" ]] && IFS=, read -r -a row_args <<<"$author_options"
    cmd=(latentroom author "$name" --direction "$file" "${pairs[@]}"
         --generator toyfaces --steps 1000000 --time-budget "$BUDGET" --batch-size "$BATCH" --seed 0
         --device "$DEVICE" --strength-range "$range" --default-strength "$default" --region "$region"
         --feature-weight "$FEATURE_WEIGHT" --adversarial-weight "$ADVERSARIAL" --pool-size "$POOL" --reuse "$REUSE" --inverter encoder --variants none --log-every 200 --eval-images "$EVAL_IMAGES" --widths "$WIDTHS"
         --author latentroom --license MIT --sheet "$LOGS/$name-sheet.png" --force "${row_args[@]}" "${extra[@]}" -o "$PRESETS/$name")
    echo "$(date -u +%FT%TZ) ${cmd[*]}" >> "$LOGS/$name.log"
    OMP_NUM_THREADS=2 "${cmd[@]}" >> "$LOGS/$name.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
