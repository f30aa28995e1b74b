#!/usr/bin/env bash
# Capacity table v2 (issue 24, item 3): clean-expert SFT from a base, with
# the step chosen on validation seeds, greedy on held-out test seeds, and
# the expert on the same test seeds as the reference row.
#
# Per env it leaves, under $OUT/<env with / as ->:
#   data/    the expert episodes (not committed)
#   sft/     the vlmq train run: spec.json, run.json (commit, machine and
#            wall time per session), evals/val-N.json (the validation
#            curve), evals/offline.json (the test evaluation of the best
#            validation step), best.json, metrics.csv
#   expert/  vlmq eval --policy expert on the same test seeds
# and prints the row command. The table, with how state-blind each row is:
#   bin/vlmq table --blindness $OUT/*/expert $OUT/*/sft
#
# Usage: scripts/capacity-v2.sh ENV [ENV...]
# Settings (environment variables, defaults in brackets):
#   BASE [the shipped base]  EPISODES [1000]  EVAL_EPISODES [100; 1000 for blackjack]  STEPS [1000]  VAL_EVERY [250]
#   VAL_EPISODES [50]  LR [3e-4]  OUT [results/capacity-v2]
#   MINIWOB_DIR [/work/miniwob-plusplus]  VLMQ_BIN [bin/vlmq]
# A rerun resumes: collect appends only the missing episodes, train resumes
# its checkpoint, and a published evaluation is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/protocol.sh
bin=${VLMQ_BIN:-bin/vlmq}
out=${OUT:-results/capacity-v2}
for env in "$@"; do
  dir="$out/${env//\//-}"
  protocol "$env"
  set -x
  "$bin" collect --env "$env" "${envflags[@]}" --source expert --episodes "${EPISODES:-1000}" --out "$dir/data" --quiet
  "$bin" train --env "$env" "${envflags[@]}" ${BASE:+--base "$BASE"} --data "$dir/data" \
    --mode sft --critic-coef 0 --lr "${LR:-3e-4}" --offline-steps "${STEPS:-1000}" \
    --val-every "${VAL_EVERY:-250}" --val-episodes "${VAL_EPISODES:-50}" --eval-episodes "$eval_eps" \
    --out "$dir/sft" --quiet
  if [ ! -f "$dir/expert/eval.json" ]; then
    "$bin" eval --env "$env" "${envflags[@]}" --policy expert --eval-episodes "$eval_eps" --out "$dir/expert" --quiet
  fi
  { set +x; } 2>/dev/null
done
