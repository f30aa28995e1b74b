#!/bin/bash
# Watches base-v5: progress every 2 minutes (watch.log), the retrieval
# probe on the newest checkpoint every 20 (retrieval.log).
cd /work/main
i=1
while true; do
  p=$(tail -c 200 runs/base-v5/log.txt | tr '\r' '\n' | grep pretrain | tail -1)
  rss=$(ps -o rss= -p $(pgrep -f "runs/base-v5/vlmq-.* pretrain" | head -1) 2>/dev/null)
  echo "$(date -u +%FT%TZ) $p rss=${rss}KB load=$(cut -d' ' -f1-3 /proc/loadavg)" >> runs/base-v5/watch.log
  if [ $((i % 10)) -eq 0 ] && [ -f runs/base-v5/model.ckpt/model/config.json ]; then
    st=$(python3 -c "import json;d=json.load(open(\"runs/base-v5/model.ckpt/progress.json\"));print(\"steps\",d[\"steps\"],\"train_seconds\",round(d[\"train_seconds\"]))")
    echo "== $(date -u +%FT%TZ) $st" >> runs/base-v5/retrieval.log
    runs/base-v5/vlmq-$(cat runs/base-v5/commit) retrieval --model runs/base-v5/model.ckpt/model --lists 50 --quiet 2>&1 | grep -E "lookup|named entry|several words|element says" >> runs/base-v5/retrieval.log
  fi
  i=$((i+1)); sleep 120
done
