#!/usr/bin/env bash
# Session 35, device call 1: the bundled hair_length row of scripts/author_presets.sh as
# it stands (the flattening head), now that the head may flatten all of the texture from
# half the strength range on (plugins/distill/student.py, FLATTEN_FULL_AT): the shipped
# preset (session 34) flattened at most 0.67 of it at its default 8 of 12. Authored under
# the bundled name into its own folder, so it can ship as it is. Compare with the shipped
# preset by figures (500 renders through apply) and by the sheets. From the repository root:
#   RESULTS=/tmp/o BUDGET=330 bash docs/measurements/session35-device-2026-12-06/hair-row.sh
set -u
source presets/_authoring/device-setup.sh
set +e
RESULTS=${RESULTS:-/tmp/o}
ONLY=hair_length BUDGET=${BUDGET:-330} LOGS=$RESULTS/logs PRESETS=$RESULTS/presets bash scripts/author_presets.sh
echo "author rc $?"
tail -n 3 "$RESULTS/logs/hair_length.log"
