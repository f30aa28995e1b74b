#!/usr/bin/env bash
# The long pretraining of the next shipped base (issue 24), attempt v4.
# Against base-v3 (scripts/pretrain-base-v3.sh, stopped at step 1879 with
# the key-value probe at 0.16/0.10/0.00), it takes what short runs of
# results/base-sweep/2026-12-07/embed-lr measured: the tied embeddings
# learn at four times the trunk's rate (--embed-lr-scale 4; at step 500
# the loss was 1.18 against 1.84 at the trunk's rate), and the first 2000
# steps draw from the synthetic retrieval tasks alone, so lookups are
# learned before env views dilute them. Architecture, envs and mix after
# the synthetic phase are base-v3's; 12000 steps instead of 16000.
# It checkpoints into <out>.ckpt every 200 steps: rerun the same command to
# resume it exactly. Official MiniWoB++ tasks need a checkout (MINIWOB_DIR).
# Usage: scripts/pretrain-base-v4.sh [OUT [FLAGS...]]   (VLMQ_BIN: default bin/vlmq)
# The run trained on facts version 3: a binary of commit 559c935 or later
# needs FLAGS --facts 3 to resume or rebuild it exactly (checked on a tiny
# run: byte-identical weights to the binary of 9f3b2b5); --pause-at 6245
# stops it where base-v5 (scripts/pretrain-base-v5.sh) continued it.
set -euo pipefail
out=${1:-runs/base-v4/model}
envs=babyai/GoToObj,babyai/GoToRedBall,babyai/GoToLocal,babyai/PickupLoc,babyai/PutNextLocal,babyai/GoToDoor,babyai/GoTo,babyai/Open,babyai/Pickup,babyai/Unlock
envs+=,numberline,ezpoints,points24,blackjack
envs+=,miniwob/click-button,miniwob/click-link,miniwob/click-tab,miniwob/click-dialog,miniwob/enter-text,miniwob/login-user
envs+=,miniwob/click-checkboxes,miniwob/email-inbox,miniwob/click-checkboxes-large,miniwob/email-inbox-forward-nl
exec "${VLMQ_BIN:-bin/vlmq}" pretrain --envs "$envs" --obs-modes both,image --miniwob-dir "${MINIWOB_DIR:-/work/miniwob-plusplus}" \
  --preset medium --arch image_size=112,patch_size=16,layers=6,tie_word_embeddings=1,alibi=0,rope_theta=10000 --vocab 2048 \
  --steps 12000 --batch 16 --lr 1e-3 --embed-lr-scale 4 --corpus-episodes 30 \
  --curriculum default,kv=2,questions=16,synthetic-steps=2000 \
  --probe-lists 100 --checkpoint-every 200 --dtype f16 --out "$out" "${@:2}"
