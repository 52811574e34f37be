#!/usr/bin/env bash
# Installs what tests/peers/kube-api needs, non-interactively and only if missing:
#   node (Debian nodejs if there is no node at all), the ws module (Debian node-ws),
#   and a kubectl (Debian kubernetes-client, v1.20) if none is on PATH.
# Idempotent: a second run installs nothing.
set -euo pipefail

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
if ! { command -v node >/dev/null 2>&1 &&
       { node -e "require('/usr/share/nodejs/ws')" >/dev/null 2>&1 || node -e "require('ws')" >/dev/null 2>&1; }; }; then
  need+=(node-ws)
fi
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
command -v tar >/dev/null 2>&1 || need+=(tar)

if ((${#need[@]} == 0)); then
  echo "kube-api: everything needed is installed"
  exit 0
fi

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
echo "kube-api: installing ${need[*]}"
if ! $SUDO apt-get install -y --no-install-recommends "${need[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi
