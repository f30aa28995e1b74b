#!/usr/bin/env bash
# The long pretraining of the next shipped base (issue 24), attempt v7: a
# fresh start, because base-v4..v6's checkpoints lived in the ignored runs/
# folder and were lost with the work tree. It merges what those runs
# learned into one mix from step 0:
#   - base-v4: the tied embeddings at 4x the trunk's rate and a synthetic
#     phase of 2000 steps before the env views join;
#   - base-v5: the span task (BabyAI-worded scenes) and the page task
#     (MiniWoB-worded element lists) at the largest weights, facts of
#     version 4 (lookups keyed by the mission);
#   - base-v6: the background subtracted from the pixels and the glyph
#     task (labelled digits asked about from the image alone);
#   - new: 224-px images cut into 32-px patches (49 visual tokens, as
#     112/16 gave). A fresh model learns a 24-pt digit at a fixed place to
#     1.00 in 300 steps at 224/32 and to 0.34 at 112/16
#     (results/base-v7/2026-12-07/vision). BabyAI's 7x7 view still maps
#     one cell to one patch.
#
# The checkpoint is written to checkpoints/base-v7/model.ckpt, a folder
# that git tracks: scripts/checkpoint-commit.sh base-v7 stops the run
# (it saves on SIGINT) and commits it at the end of each session, so a new
# machine resumes it, exactly on a CPU of the same kind.
# The binary is pinned: checkpoints/base-v7/commit names the commit it is
# built from (bin/vlmq-base-v7), so every session runs the same code.
# The official MiniWoB++ tasks' views come from a checkout at the commit
# checkpoints/base-v7/miniwob-commit names: another commit's pages would
# draw other views, so the script refuses it.
# Usage: scripts/pretrain-base-v7.sh [FLAGS...]   (MINIWOB_DIR: the checkout)
set -euo pipefail
miniwob=$(realpath -m "${MINIWOB_DIR:-/work/miniwob-plusplus}")
cd "$(dirname "$0")/.."
dir=checkpoints/base-v7
want=$(cut -d' ' -f1 "$dir/miniwob-commit")
have=$(git -C "$miniwob" rev-parse HEAD 2>/dev/null || echo "no checkout")
if [ "$have" != "$want" ]; then
  echo "the run needs the MiniWoB++ repository at $want in $miniwob (found: $have); clone it there and check out that commit, or set MINIWOB_DIR" >&2
  exit 1
fi
# The pinned binary, rebuilt when the commit changes. GOAMD64=v1 keeps
# every float32 product and sum rounded on its own (v3 lets the compiler
# fuse them), as the run's earlier steps were computed.
commit=$(cat "$dir/commit")
bin=bin/vlmq-base-v7
if [ ! -x "$bin" ] || [ "$(cat "$bin.commit" 2>/dev/null)" != "$commit" ]; then
  tmp=$(mktemp -d)
  trap 'git worktree remove --force "$tmp" 2>/dev/null || true' EXIT
  git worktree add -q --detach "$tmp" "$commit"
  (cd "$tmp" && GOAMD64=v1 CGO_ENABLED=1 GOFLAGS= go build -buildvcs=auto -o "$OLDPWD/$bin" ./cmd/vlmq)
  echo "$commit" > "$bin.commit"
  git worktree remove --force "$tmp"
  trap - EXIT
fi
# oneDNN picks its kernels by the CPU's features: a run resumes bit-exactly
# on a CPU of the same kind, so each start logs it.
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)
avx512=$(grep -qm1 avx512f /proc/cpuinfo && echo yes || echo no)
echo "$(date -u +%FT%TZ) start $(cut -c1-7 "$dir/commit"): $cpu, AVX-512 $avx512, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-}, load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$dir/sessions.log"
envs=babyai/GoToObj,babyai/GoToRedBall,babyai/GoToLocal,babyai/PickupLoc,babyai/PutNextLocal,babyai/GoToDoor,babyai/GoTo,babyai/Open,babyai/Pickup,babyai/Unlock
envs+=,numberline,ezpoints,points24,blackjack
envs+=,miniwob/click-button,miniwob/click-link,miniwob/click-tab,miniwob/click-dialog,miniwob/enter-text,miniwob/login-user
envs+=,miniwob/click-checkboxes,miniwob/email-inbox,miniwob/click-checkboxes-large,miniwob/email-inbox-forward-nl
exec "$bin" pretrain --envs "$envs" --obs-modes both,image --miniwob-dir "$miniwob" \
  --preset medium --arch image_size=224,patch_size=32,layers=6,tie_word_embeddings=1,alibi=0,rope_theta=10000,subtract_background=1 --vocab 2048 \
  --steps 16000 --batch 16 --lr 1e-3 --embed-lr-scale 4 --corpus-episodes 30 \
  --curriculum default,kv=2,match=2,span=5,page=4,glyph=4,questions=16,synthetic-steps=2000 \
  --probe-lists 100 --checkpoint-every 200 --dtype f16 --out "$dir/model" "$@"
