#!/usr/bin/env bash
# Installs the Debian packages Plasticity needs, if missing: libtcc-dev (the JIT), gcc (the
# optimizing backend). Uses sudo when not root. Idempotent.
set -euo pipefail
packages=(libtcc-dev gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "error: swift (6.0 or later) is not on PATH" >&2; exit 1; }
