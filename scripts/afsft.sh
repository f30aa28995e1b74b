#!/usr/bin/env bash
# The results campaign (issue 26): the full pipeline from a base on one
# env and dataset source (dataset, base, SFT, AFSFT, AFSFT+online with
# every round), in the originals' protocols, plus the expert on the same
# held-out seeds as the reference row.
#
# It leaves, under $OUT/<env with / as ->/:
#   <source>/seed-<S>/  the vlmq demo folder: demo.json, results.json,
#                       run.json (commit, machine, wall time), and each
#                       training stage's spec.json, run.json and evals/
#   expert/             vlmq eval --policy expert on the same test seeds
# The table:  bin/vlmq table --blindness $OUT/<env>/expert $OUT/<env>/*/seed-*
#
# Usage: scripts/afsft.sh ENV SOURCE [SEED...]   (SOURCE: noisy-expert,
# random or base-model; seeds default to 1)
# Settings (environment variables, defaults in brackets): BASE [the shipped
# base], EPISODES [300], OFFLINE_STEPS [500], ROUNDS [5], LR [the train
# default], EVAL_EPISODES [100; 1000 for blackjack], OUT [results/afsft],
# MINIWOB_DIR [/work/miniwob-plusplus], VLMQ_BIN [bin/vlmq]; EXTRA is added
# to the demo's flags as is. A rerun resumes every stage.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/protocol.sh
[ $# -ge 2 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
env=$1 source=$2
shift 2
seeds=("${@:-1}")
bin=${VLMQ_BIN:-bin/vlmq}
dir="${OUT:-results/afsft}/${env//\//-}"
protocol "$env"
# shellcheck disable=SC2206 # EXTRA is split into flags on purpose
extra=(${EXTRA:-})
set -x
for seed in "${seeds[@]}"; do
  "$bin" demo --env "$env" "${envflags[@]}" ${BASE:+--base "$BASE"} --source "$source" \
    --episodes "${EPISODES:-300}" --offline-steps "${OFFLINE_STEPS:-500}" --online-rounds "${ROUNDS:-5}" \
    ${LR:+--lr "$LR"} --eval-episodes "$eval_eps" --seed "$seed" "${extra[@]}" \
    --out "$dir/$source/seed-$seed" --quiet
done
if [ ! -f "$dir/expert/eval.json" ]; then
  "$bin" eval --env "$env" "${envflags[@]}" --policy expert --eval-episodes "$eval_eps" --out "$dir/expert" --quiet
fi
