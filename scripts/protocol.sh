# Sourced by the run scripts: the protocol of each env family, as flags.
# protocol ENV sets envflags (Gym Cards from the image alone, RL4VLM's;
# MiniWoB++ from the official tasks) and eval_eps (EVAL_EPISODES, default
# 100; 1000 for blackjack).
protocol() {
  envflags=()
  eval_eps=${EVAL_EPISODES:-100}
  case "$1" in
    numberline | ezpoints) envflags+=(--obs image --max-steps 10) ;;
    blackjack) envflags+=(--obs image --max-steps 10) eval_eps=${EVAL_EPISODES:-1000} ;;
    points24) envflags+=(--obs image --max-steps 20) ;;
    miniwob/*) envflags+=(--miniwob-dir "${MINIWOB_DIR:-/work/miniwob-plusplus}") ;;
  esac
}
