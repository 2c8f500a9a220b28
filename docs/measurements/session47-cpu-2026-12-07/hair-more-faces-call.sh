#!/usr/bin/env bash
# Written in session 47 for the next session (no machine started in session 47):
# hair_length's bundled row of scripts/author_presets.sh, unchanged, from latent pairs
# of 4,000 faces (the shipped student's: 2,500), in one call. On session 41's encoder-read
# bank the student of every face drew 0.875 of the truth's change beside the face against
# 0.705 for a third of them at random (session 46), and twice the training brought the
# shipped student nearer its teacher, not the truth (session 46). The shipped student
# already draws 0.939 on that bank's measure (bank_share.py), so the bank shows its own
# students growing with faces, not the shipped one lacking them: a test, not a cure.
# Judge it by hair_share_matched.py and hair_by_length.py beside the shipped preset, and
# by eye (stray locks; hair past the matched truth on short-haired faces). The author run
# gets about 260 s (the shipped one: 327 s, 7,912 steps). From the repository root:
#   RESULTS=/tmp/o bash docs/measurements/session47-cpu-2026-12-07/hair-more-faces-call.sh
set -u
source presets/_authoring/device-setup.sh
set +e
ATTRIBUTE=hair_length FACES=${FACES:-4000} CEILING_IMAGES=0 LIMIT=${LIMIT:-575} EXPORT_SECONDS=${EXPORT_SECONDS:-100} \
    OUT=${RESULTS:-/tmp/o} bash scripts/pairs_preset.sh
