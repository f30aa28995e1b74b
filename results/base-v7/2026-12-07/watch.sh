#!/bin/bash
# Watches base-v7 (scripts/pretrain-base-v7.sh): progress every 2 minutes
# (watch.log); every 20 minutes, on the newest checkpoint, the retrieval
# probe (retrieval.log), NumberLine's and Blackjack's held-out questions
# (qa.log) and held-out glyph number questions (glyph.log; bin/glyph_eval.test,
# built from results/base-v6/2026-12-07/glyph_eval_test.go.txt). All logs
# go to checkpoints/base-v7/.
cd /work/main
r=checkpoints/base-v7
bin=bin/vlmq-base-v7
i=1
while true; do
  p=$(tail -c 200 $r/log.txt | tr '\r' '\n' | grep pretrain | tail -1)
  rss=$(ps -o rss= -p $(pgrep -f "$bin pretrain" | head -1) 2>/dev/null)
  echo "$(date -u +%FT%TZ) $p rss=${rss}KB load=$(cut -d' ' -f1-3 /proc/loadavg)" >> $r/watch.log
  if [ $((i % 10)) -eq 0 ] && [ -f $r/model.ckpt/model/config.json ]; then
    st=$(python3 -c "import json;d=json.load(open(\"$r/model.ckpt/progress.json\"));print(\"steps\",d[\"steps\"],\"train_seconds\",round(d[\"train_seconds\"]))")
    echo "== $(date -u +%FT%TZ) $st" >> $r/retrieval.log
    $bin retrieval --model $r/model.ckpt/model --lists 50 --quiet 2>&1 | grep -E "lookup|named entry|several words|element says" >> $r/retrieval.log
    echo "== $(date -u +%FT%TZ) $st" >> $r/qa.log
    $bin qa --model $r/model.ckpt/model --envs numberline,blackjack --held-questions 50 --quiet 2>&1 | sed -n '/By question type/,$p' | grep "^| [nb]" >> $r/qa.log
    echo "== $(date -u +%FT%TZ) $st $(MODEL=$PWD/$r/model.ckpt/model bin/glyph_eval.test -test.run GlyphEval 2>&1 | grep '^glyph')" >> $r/glyph.log
  fi
  i=$((i+1)); sleep 120
done
