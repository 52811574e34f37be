#!/usr/bin/env bash
# Restarts the demo service with the binary given as $1 (the configured restart command of
# the local golden playbook). Reads DEMO_PID_FILE, DEMO_LISTEN and DEMO_LOG from the
# environment. Stops the running instance, starts the new one detached, waits for healthz.
set -euo pipefail
binary="$1"
[ -x "$binary" ] || { echo "restart.sh: $binary is not an executable" >&2; exit 2; }
if [ -f "$DEMO_PID_FILE" ]; then
  old=$(cat "$DEMO_PID_FILE")
  if kill -0 "$old" 2>/dev/null; then
    kill -TERM "$old"
    for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$old" 2>/dev/null || true
  fi
fi
setsid "$binary" -listen "$DEMO_LISTEN" -pid-file "$DEMO_PID_FILE" >>"$DEMO_LOG.restarted" 2>&1 < /dev/null &
for _ in $(seq 100); do
  if curl -fsS "http://$DEMO_LISTEN/healthz" >/dev/null 2>&1; then
    echo "restarted $(basename "$binary") as pid $(cat "$DEMO_PID_FILE")"
    exit 0
  fi
  sleep 0.1
done
echo "restart.sh: $binary did not become healthy" >&2
exit 1
