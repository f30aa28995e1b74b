#!/bin/sh
# $1 binary, $2 out dir: 40 pretraining steps of base-v7's architecture and mix (no MiniWoB)
rm -rf "$2"
exec "$1" pretrain --envs numberline,blackjack,babyai/GoToLocal,babyai/PickupLoc --preset medium --arch image_size=224,patch_size=32,layers=6,tie_word_embeddings=1,alibi=0,rope_theta=10000,subtract_background=1 --vocab 1024 --steps 40 --batch 16 --lr 1e-3 --embed-lr-scale 4 --corpus-episodes 10 --curriculum default,kv=2,match=2,span=5,page=4,glyph=4,questions=16 --syntax-episodes -1 --probe-lists 0 --held-episodes 5 --held-questions 5 --quiet --out "$2/model"
