#!/bin/bash
cd /work/main
i=1
while true; do
  p=$(tail -c 200 runs/base-v4/log.txt | tr '\r' '\n' | grep pretrain | tail -1)
  rss=$(ps -o rss= -p $(pgrep -f "runs/base-v4/vlmq-.* pretrain" | head -1) 2>/dev/null)
  echo "$(date -u +%FT%TZ) $p rss=${rss}KB load=$(cut -d' ' -f1-3 /proc/loadavg)" >> runs/base-v4/watch.log
  if [ $((i % 10)) -eq 0 ] && [ -f runs/base-v4/model.ckpt/model/config.json ]; then
    st=$(python3 -c "import json;d=json.load(open(\"runs/base-v4/model.ckpt/progress.json\"));print(\"steps\",d[\"steps\"],\"train_seconds\",round(d[\"train_seconds\"]))")
    echo "== $(date -u +%FT%TZ) $st" >> runs/base-v4/retrieval.log
    runs/base-v4/vlmq-$(cat runs/base-v4/commit) retrieval --model runs/base-v4/model.ckpt/model --lists 50 2>&1 | grep -E "lookup|named entry" >> runs/base-v4/retrieval.log
  fi
  i=$((i+1)); sleep 120
done
