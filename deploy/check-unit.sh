#!/usr/bin/env bash
# Checks deploy/ratel-server.service with systemd-analyze verify; exits non-zero if systemd
# finds an error or says anything about the unit (an unknown or misspelt directive is only a
# warning to systemd, and would silently drop a hardening setting).
#   bash deploy/check-unit.sh
# Where ratel-server is not installed (a CI machine, a workstation), a copy of the unit is
# checked with ExecStart pointing at /bin/true: systemd-analyze refuses a unit whose binary
# does not exist, and the binary is not what is being checked here.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v systemd-analyze >/dev/null; then
  echo "check-unit.sh: systemd-analyze not found (Debian: apt-get install systemd)" >&2
  exit 1
fi
unit=deploy/ratel-server.service
binary=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The copy keeps the unit's name: systemd-analyze reads the unit type from it.
checked="$work/ratel-server.service"
if [ -x "$binary" ]; then
  cp "$unit" "$checked"
else
  echo "check-unit.sh: $binary is not installed: checking a copy with ExecStart=/bin/true ..."
  sed "s|^ExecStart=$binary|ExecStart=/bin/true|" "$unit" > "$checked"
fi
status=0
output=$(systemd-analyze verify "$checked" 2>&1) || status=$?
# Lines about other units (a broken unit elsewhere on the machine) are not this unit's fault.
about_unit=$(printf '%s\n' "$output" | grep -F 'ratel-server.service' || true)
if [ "$status" -ne 0 ] || [ -n "$about_unit" ]; then
  printf '%s\n' "$output" >&2
  echo "FAIL $unit (systemd-analyze verify exited $status)" >&2
  exit 1
fi
echo "ok   $unit"
