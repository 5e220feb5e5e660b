#!/usr/bin/env bash
# Installs every Debian 12 package mssgw needs to build, run, test and benchmark.
# Idempotent and non-interactive: safe to run on a fresh machine and again on a provisioned one.
# Usage: scripts/install-deps.sh            (build + run + test + bench dependencies)
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=900 -y -q)

build_packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-system-dev libssl-dev openssl
  libmimetic-dev liblmdb-dev lmdb-utils libldap-dev libspdlog-dev libfmt-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libpugixml-dev
  libcurl4-openssl-dev libc-ares-dev libcrypt-dev catch2
)
test_packages=(
  python3 swaks libnet-ssleay-perl slapd ldap-utils clang libclang-rt-14-dev
  postfix dovecot-imapd dovecot-lmtpd isync curl procps psmisc
)

missing=()
for p in "${build_packages[@]}" "${test_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

# Server packages must install without configuring or starting a system instance:
# tests start their own slapd/postfix/dovecot on 127.0.0.1 with their own configs.
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
# Keep package scripts from starting daemons (restored afterwards if we created it).
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
trap '[ -n "$created_policy" ] && $SUDO rm -f "$policy"' EXIT

$SUDO "${APT[@]}" update
$SUDO "${APT[@]}" install --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${#missing[@]} packages"
