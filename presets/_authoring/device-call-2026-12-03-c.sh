# Session 11, call C: resume the four runs of call B (their states carried as
# .device-carry/state-NAME.pt) to the end of one budget, then export and evaluate.
# BUDGET (the whole run's training seconds) = what call B trained + what this call
# can train; the learning rate's anneal spans it (author --time-budget over resumes).
# Run as: ONLY="glasses beard" TOTAL=530 bash .device-carry/s11c.sh (this file), 2026-12-03 10:03 UTC,
# with only those two states carried: the tree and four 13 MB states were over the
# device's 64 MiB carry limit, so smile and hair_length stay as authored before.
set -u
T0=$(date +%s)
TOTAL=${TOTAL:-570}
source .device-carry/setup.sh
export PATH=/tmp/bin:$PATH
mkdir -p "$OUT/logs"
for f in .device-carry/state-*.pt; do n=${f#.device-carry/state-}; n=${n%.pt}; mkdir -p "/tmp/presets/$n/.author-state"; cp "$f" "/tmp/presets/$n/.author-state/state.pt"; done
TRAINED=$(python3 -c "import torch,glob; print(int(max(torch.load(f, weights_only=True)['elapsed'] for f in glob.glob('.device-carry/state-*.pt'))))")
B=$(( TRAINED + TOTAL - ($(date +%s) - T0) - 110 ))
echo "trained $TRAINED s in call B; budget $B s"
BUDGET=$B ONLY="${ONLY:-smile hair_length glasses beard}" LOGS=$OUT/logs PRESETS=/tmp/presets EXTRA="--resume" \
    timeout $(( TOTAL - ($(date +%s) - T0) )) bash scripts/author_presets.sh
echo "authors rc $?"
for f in "$OUT"/logs/*.log; do echo "== $f"; grep -E "^step|resumed" "$f" | tail -n 2; tail -n 1 "$f"; done
cd "$OUT"
tar czf presets-1.tgz -C /tmp/presets smile hair_length 2>/dev/null
tar czf presets-2.tgz -C /tmp/presets glasses beard 2>/dev/null
tar czf logs-c.tgz logs && rm -rf logs && ls -la "$OUT"
