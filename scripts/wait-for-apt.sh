#!/usr/bin/env bash
# Waits while another process holds the package manager's locks (an apt or dpkg run, unattended-upgrades, another
# checkout's set-up on a shared machine), saying who holds which; gives up after APT_LOCK_WAIT_SECONDS (600) with
# what to do. Reads /proc/locks only: it never takes a lock itself. Used by scripts/setup.sh before apt-get.
set -euo pipefail
read -r -a LOCKS <<<"${APT_LOCK_FILES:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}"
LIMIT=${APT_LOCK_WAIT_SECONDS:-600}
STEP=${APT_LOCK_POLL_SECONDS:-5}

holder() {  # prints the process id holding a lock on file $1; fails when nobody does
  [ -e "$1" ] || return 1
  local id kind pid dev maj min ino
  id=$(stat -L -c '%Hd:%Ld:%i' "$1") || return 1
  while read -r _ kind _ _ pid dev _; do
    case "$kind" in POSIX|FLOCK|OFDLCK) ;; *) continue ;; esac     # "->" lines are waiters, not holders
    IFS=: read -r maj min ino <<<"$dev"
    if [ "$((16#$maj)):$((16#$min)):$ino" = "$id" ]; then echo "$pid"; return 0; fi
  done < /proc/locks
  return 1
}

waited=0
while :; do
  busy="" pid=""
  for f in "${LOCKS[@]}"; do
    if pid=$(holder "$f"); then busy=$f; break; fi
  done
  [ -z "$busy" ] && exit 0
  name=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  who="${name:-another process}${pid:+ (process $pid)}"
  if [ "$waited" -ge "$LIMIT" ]; then
    echo "The package manager is still busy after ${LIMIT} s: $who holds $busy. Let it finish (or stop it), then" \
         "run this command again; APT_LOCK_WAIT_SECONDS sets how long to wait." >&2
    exit 1
  fi
  if [ "$waited" -eq 0 ]; then
    echo "Waiting for the package manager: $who holds $busy. Checking every ${STEP} s for up to ${LIMIT} s" \
         "(Ctrl-C stops)."
  elif [ $((waited % 60)) -eq 0 ]; then
    echo "Still waiting for the package manager ($who), ${waited} s so far."
  fi
  sleep "$STEP"
  waited=$((waited + STEP))
done
