#!/usr/bin/env bash
# Installs what the service needs on a fresh Debian machine: the system packages (WeasyPrint's
# libraries and fonts, poppler for the PDF tests, Chromium for the browser tests) where they are
# missing, and a virtual environment from requirements.txt. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils chromium)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  # On a shared machine another process may hold the package manager's lock: wait for it, saying so, rather than
  # fail at once; apt-get itself waits as long for a lock taken between the check and its start.
  ./scripts/wait-for-apt.sh
  APT=(-o "DPkg::Lock::Timeout=${APT_LOCK_WAIT_SECONDS:-600}")
  $SUDO apt-get "${APT[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${APT[@]}" install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi
