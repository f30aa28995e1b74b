#!/usr/bin/env bash
# End-to-end wall times of two vlmq binaries on the same jobs, alternated
# on the same machine (issue 23): 200 SFT steps on GoToLocal expert data,
# 200 pretraining steps of the shipped base's recipe, and the NumberLine
# demo. Each job's wall, user and system seconds and the load average
# before and after go to OUT/e2e.jsonl; artefacts go under OUT/runs.
# Usage: scripts/throughput-e2e.sh BEFORE_BIN AFTER_BIN OUT [job...]
# (jobs: sft pretrain demo; default all three).
set -euo pipefail
before=$1 after=$2 out=$3
shift 3
jobs=("${@:-sft pretrain demo}")
jobs=(${jobs[*]})
mkdir -p "$out/runs"
envs=babyai/GoToDoor,babyai/GoToLocal,babyai/GoToObj,babyai/GoToRedBall,babyai/GoToRedBallGrey,babyai/GoToRedBallNoDists,babyai/Open,babyai/PickupLoc,babyai/PutNextLocal,babyai/UnlockLocal,babyai/UnlockLocalDist,blackjack,ezpoints,miniwob/choose-list,miniwob/click-button,miniwob/click-checkboxes,miniwob/click-color,miniwob/click-dialog-2,miniwob/click-link,miniwob/click-option,miniwob/click-tab-2,miniwob/enter-password,miniwob/enter-text,miniwob/focus-text-2,miniwob/login-user,numberline,points24
data="$out/runs/gotolocal-expert"
[ -d "$data" ] || "$after" collect --env babyai/GoToLocal --source expert --episodes 300 --out "$data" --quiet

run() { # name binary-label binary args...
  local name=$1 label=$2 bin=$3
  shift 3
  local load0 tfile="$out/runs/$name-$label.time"
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/time -o "$tfile" -f '%e %U %S' "$bin" "$@" --quiet >"$out/runs/$name-$label.log" 2>&1
  read -r wall user sys <"$tfile"
  printf '{"job":"%s","binary":"%s","wall_s":%s,"user_s":%s,"sys_s":%s,"load_before":"%s","load_after":"%s","command":"%s %s"}\n' \
    "$name" "$label" "$wall" "$user" "$sys" "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(basename "$bin")" "$*" | tee -a "$out/e2e.jsonl"
}

for job in "${jobs[@]}"; do
  for label in before after; do
    bin=$before
    [ "$label" = after ] && bin=$after
    case $job in
      sft) run sft "$label" "$bin" train --env babyai/GoToLocal --data "$data" --mode sft --critic-coef 0 --lr 3e-4 \
        --offline-steps 200 --checkpoint-every 1000 --out "$out/runs/sft-$label" ;;
      pretrain) run pretrain "$label" "$bin" pretrain --envs "$envs" --obs-modes both,image --preset medium --vocab 2048 \
        --steps 200 --episodes 30 --dtype f16 --out "$out/runs/pretrain-$label" ;;
      demo) run demo "$label" "$bin" demo --env numberline --out "$out/runs/demo-$label" ;;
      *) echo "unknown job $job" >&2; exit 2 ;;
    esac
  done
done
