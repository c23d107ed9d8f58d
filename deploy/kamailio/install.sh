#!/usr/bin/env bash
# Installs what deploy/kamailio/ratel.cfg needs on Debian 12 (bookworm), as root; idempotent
# (a second run changes nothing): Kamailio 5.6 with the dialog module, jansson
# (kamailio-extra-modules) and the synchronous http_client (kamailio-utils-modules), and SIPp
# (package sip-tester) for the end-to-end test. Nothing is built: http_async_client is not
# in bookworm's packages, and the packaged synchronous client is what ratel.cfg uses
# (deploy/kamailio/README.md says why).
#
#   sudo bash deploy/kamailio/install.sh           # Kamailio and SIPp
#   sudo bash deploy/kamailio/install.sh --no-sipp # Kamailio only (a production proxy)
set -euo pipefail

packages=(kamailio kamailio-extra-modules kamailio-utils-modules)
if [ "${1:-}" != "--no-sipp" ]; then
  packages+=(sip-tester)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install.sh: installing ${missing[*]} needs root (sudo bash $0)" >&2
    exit 1
  fi
  apt-get update -qq
  # The package's own service stays off: ratel.cfg is started as deploy/kamailio/README.md
  # shows (or by a unit of your own), never with Debian's default configuration.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if command -v systemctl >/dev/null && systemctl list-unit-files kamailio.service >/dev/null 2>&1; then
    systemctl disable --now kamailio.service >/dev/null 2>&1 || true
  fi
fi
modules=/usr/lib/x86_64-linux-gnu/kamailio/modules
for module in dialog jansson http_client tm rr sl pv textops siputils xlog maxfwd kex tmx; do
  if [ ! -e "$modules/$module.so" ]; then
    echo "install.sh: the Kamailio module $module is missing from $modules" >&2
    exit 1
  fi
done
echo "install.sh: $(kamailio -v 2>/dev/null | head -1)${packages[3]:+; $(sipp -v 2>/dev/null | grep -o 'SIPp v[0-9.]*' | head -1)}"
