#!/usr/bin/env bash
# Ends a session's share of a long pretraining run whose checkpoint lives
# in a tracked folder (checkpoints/<name>/, see scripts/pretrain-base-v7.sh):
# stops the run with SIGINT (it saves its checkpoint on the signal), waits
# for it to exit, logs the stop in sessions.log (when it stopped it), copies the logs to
# results/<name>/<date>/ and commits the checkpoint and the logs.
# An ignored folder is lost with the work tree; a committed one is not
# (base-v4..v6's checkpoints were lost that way).
# Usage: scripts/checkpoint-commit.sh NAME [DATE]   e.g. base-v7 2026-12-07
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
day=${2:-$(date -u +%F)}
dir=checkpoints/$name
[ -d "$dir/model.ckpt" ] || { echo "no checkpoint in $dir/model.ckpt" >&2; exit 1; }
# The run's writer lock holds its PID; the lock is released (and the file
# removed) once the checkpoint is saved and the process ends.
lock=$dir/.model.lock
stopped=
if [ -s "$lock" ]; then
  pid=$(tr -dc 0-9 < "$lock")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid"
    stopped=1
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 2; done
  fi
fi
if [ -e "$lock" ] && ! flock -n "$lock" true; then
  echo "the run still holds $lock after 10 minutes; nothing committed" >&2
  exit 1
fi
steps=$(grep -o '"steps": *[0-9]*' "$dir/model.ckpt/progress.json" | head -1 | tr -dc 0-9)
# A run stopped earlier by hand has its stop logged already.
if [ -n "$stopped" ]; then
  echo "$(date -u +%FT%TZ) stopped by SIGINT at step $steps (end of session)" >> "$dir/sessions.log"
fi
out=results/$name/$day
mkdir -p "$out"
# The progress counter rewrites one line with \r; keep the checkpoint lines.
tr '\r' '\n' < "$dir/log.txt" | grep -v '^pretrain [0-9]*/[0-9]*$' > "$out/log.txt" || true
for f in watch.log retrieval.log qa.log glyph.log sessions.log; do
  if [ -f "$dir/$f" ]; then cp "$dir/$f" "$out/$f"; fi
done
cp "$dir/model.ckpt/progress.json" "$out/progress-recorded.json"
# The checkpoint folder is tracked through .gitignore's exception (locks
# and temporary folders stay out); results/ logs need -f.
git add "$dir"
git add -f "$out"
git commit -qm "$name: checkpoint at step $steps and the session's logs (resume: scripts/pretrain-$name.sh)" -- "$dir" "$out"
git log --oneline -1
