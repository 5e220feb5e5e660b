#!/usr/bin/env bash
# Installs, builds and starts mssgw in the foreground on an embedded default:
#   state under ./var (LMDB), a generated test PKI and whitelist (var/pki), demo BALs, loopback listeners.
# Stop it with Ctrl-C (SIGINT: graceful). Run it again: it keeps the state and the PKI.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
var=$root/var

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target mssgw
mssgw=$root/build/app/mssgw

mkdir -p "$var"
bash deploy/pki/make-test-pki.sh "$var/pki"

config=$var/mssgw.toml
if [ ! -f "$config" ]; then
  sed -e "s|@STATE@|$var|g" deploy/demo/mssgw.demo.toml > "$config"
  echo "demo: wrote $config"
fi
# The demo user's password ("demo"), in Dovecot's {SSHA512} format.
if [ ! -f "$var/users" ]; then
  python3 -c 'import base64, hashlib, os, sys
salt = os.urandom(8)
print("810001234567:{SSHA512}" + base64.b64encode(hashlib.sha512(b"demo" + salt).digest() + salt).decode())' > "$var/users"
  chmod 600 "$var/users"
fi
"$mssgw" check-config -c "$config"

# Demo mailboxes: a professional, a secretariat the professional may use, and an application mailbox bound to the
# practice software's organisation certificate.
lgc_dn=$(openssl x509 -in "$var/pki/apps/lgc-alpha.pem" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//')
if ! "$mssgw" -c "$config" bal show dupont@alpha.mssante.test >/dev/null 2>&1; then
  "$mssgw" -c "$config" bal create dupont@alpha.mssante.test --type PER --owner 810001234567 --name "Dr Jean Dupont"
  "$mssgw" -c "$config" bal create secretariat.cardio@alpha.mssante.test --type ORG --name "Secrétariat de cardiologie"
  "$mssgw" -c "$config" bal grant secretariat.cardio@alpha.mssante.test 810001234567 --rights read,write,send
  "$mssgw" -c "$config" bal create lgc@alpha.mssante.test --type APP --name "Logiciel de cabinet"
  "$mssgw" -c "$config" bal grant lgc@alpha.mssante.test "dn:$lgc_dn" --rights all
fi
"$mssgw" -c "$config" bal list

cat <<MSG

mssgw demo: state in $var, test PKI in $var/pki, config in $config.
Mailboxes: dupont@alpha.mssante.test (PER, idNat 810001234567), secretariat.cardio@alpha.mssante.test (ORG),
lgc@alpha.mssante.test (APP).
Inspect them with:   $mssgw -c $config bal show dupont@alpha.mssante.test
Listeners (loopback): MX 2525 (STARTTLS + operator certificate), submission 2587 (STARTTLS) and 2465 (TLS),
IMAP 2143 (STARTTLS) and 2993 (TLS). Log in as 810001234567 with the password "demo", for example:
  swaks --server 127.0.0.1:2587 --tls --auth PLAIN --auth-user 810001234567 --auth-password demo \\
        --from dupont@alpha.mssante.test --to secretariat.cardio@alpha.mssante.test
  curl -k --ssl-reqd imaps://127.0.0.1:2993/INBOX -u 810001234567:demo
Stop with Ctrl-C.

MSG
exec "$mssgw" serve -c "$config"
