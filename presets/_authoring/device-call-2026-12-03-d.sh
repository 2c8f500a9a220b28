# Session 12, call C: smile, hair_length and age re-authored side by side with
# Run as: ONLY="glasses beard" BUDGET=450 bash .device-carry/s12c.sh (this file), 2026-12-03 13:22 UTC, after call B (the width A/B).
# scripts/author_presets.sh (the bundled rows) and the student widths chosen in call B.
# Run as: WIDTHS=... BUDGET=... bash .device-carry/s12c.sh from the repository root on the device.
set -u
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/logs"
BUDGET=${BUDGET:-420} ONLY=${ONLY:-"smile hair_length age"} LOGS=$OUT/logs PRESETS=/tmp/presets \
    timeout 570 bash scripts/author_presets.sh
echo "authors rc $?"
for f in "$OUT"/logs/*.log; do echo "== $f"; grep -E "^step" "$f" | tail -n 1; tail -n 1 "$f"; done
cd /tmp/presets && for n in *; do tar cf "$OUT/$n.tar" "$n"; done
cd "$OUT" && tar czf logs-c.tgz logs && rm -rf logs && ls -la "$OUT"
