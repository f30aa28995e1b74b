#!/usr/bin/env bash
# The capacity check (issue 11): SFT from the shipped base on clean expert
# episodes, greedy evaluation on 100 held-out seeds. Each run leaves its
# spec (demo.json) and results.json under results/capacity/<env>, which
# `bin/vlmq table` reads; the rest of the run stays in that folder too but
# is not committed (.gitignore). Usage: scripts/capacity.sh ENV [ENV...];
# CAPACITY_OUT sets the results folder (default results/capacity), VLMQ_BIN
# the binary (default bin/vlmq; its embedded base is the one measured).
set -euo pipefail
cd "$(dirname "$0")/.."
for env in "$@"; do
  flags=(--source expert --methods SFT --eval-episodes 100 --episodes 300 --offline-steps 600)
  case "$env" in
    numberline|ezpoints|blackjack) flags+=(--obs image --max-steps 10) ;;
    points24) flags+=(--obs image --max-steps 20) ;;
  esac
  out="${CAPACITY_OUT:-results/capacity}/${env//\//-}"
  echo "${VLMQ_BIN:-bin/vlmq} demo --env $env ${flags[*]} --out $out"
  "${VLMQ_BIN:-bin/vlmq}" demo --env "$env" "${flags[@]}" --out "$out" --quiet
done
