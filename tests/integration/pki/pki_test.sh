#!/usr/bin/env bash
# Integration test for deploy/pki/make-test-pki.sh: generates the test PKI in a
# fresh temporary directory and checks it with the openssl CLI.
#
#   bash tests/integration/pki_test.sh
#
# Prints "ok - ..." / "not ok - ..." per check and ends with "N passed, M failed";
# exits 1 if any check failed. MAKE_TEST_PKI may point to another generator
# (used to check that the assertions can fail).
set -uo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=${MSSGW_SOURCE_DIR:-$(cd -- "$HERE/../../.." && pwd -P)}
MAKE_TEST_PKI=${MAKE_TEST_PKI:-$REPO/deploy/pki/make-test-pki.sh}
export OPENSSL_CONF=/dev/null

PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pki_test.XXXXXX")
SERVER_PID=

# shellcheck disable=SC2317  # invoked through trap
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()     { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() {
    FAILED=$((FAILED + 1)); echo "not ok - $1"
    [[ $# -ge 2 && -n $2 ]] && printf '%s\n' "$2" | sed 's/^/#   /'
    return 0
}
# check <description> <command...>: passes iff the command succeeds.
check() {
    local desc=$1 out; shift
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
finish() {
    echo "$PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
    exit $?
}

PKI=$TMP/pki   # does not exist yet: the script must create it

# --- generation ------------------------------------------------------------
t0=$(date +%s%N)
if gen_out=$(bash "$MAKE_TEST_PKI" "$PKI" 2>&1); then
    ok "make-test-pki.sh generates the PKI ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
    not_ok "make-test-pki.sh generates the PKI" "$gen_out"
    finish
fi
cd -- "$PKI" || { not_ok "cd into generated PKI"; finish; }

missing=
for f in .complete MANIFEST root-ca.pem root-ca.key org-ca.pem org-ca.key \
         operators/{alpha,beta,gamma}{.pem,.key,-chain.pem} \
         operators/{revoked,expired}.{pem,key} persons/cps-dupont.{pem,key} \
         apps/lgc-alpha.{pem,key} rogue/{rogue-ca,alpha-impostor}.{pem,key} \
         crl/{org-ca,root-ca,all,org-ca-stale}.crl.pem \
         trust/anchors.pem trust/root-only.pem whitelist.xml; do
    [[ -s $f ]] || missing+=" $f"
done
if [[ -z ${missing:-} ]]; then
    ok "all expected files were generated"
else
    not_ok "all expected files were generated" "missing or empty:$missing"
fi

# --- chain verification ----------------------------------------------------
verify_full() { # <cert> — against the IGC anchors with full CRL checking
    openssl verify -CAfile trust/root-only.pem -untrusted org-ca.pem \
        -crl_check_all -CRLfile crl/all.crl.pem "$1" 2>&1
}
# expect_verify_ok <desc> <cert>
expect_verify_ok() {
    local out
    out=$(verify_full "$2")
    if [[ $? -eq 0 && $out == "$2: OK" ]]; then ok "$1"; else not_ok "$1" "$out"; fi
}
# expect_verify_fail <desc> <error regex> <openssl verify args...>
expect_verify_fail() {
    local desc=$1 re=$2 out rc; shift 2
    out=$(openssl verify "$@" 2>&1); rc=$?
    if [[ $rc -ne 0 && $out =~ $re ]]; then ok "$desc"; else not_ok "$desc" "rc=$rc: $out"; fi
}

expect_verify_ok "alpha verifies against the IGC anchors with CRL checks" operators/alpha.pem
expect_verify_ok "beta verifies against the IGC anchors with CRL checks"  operators/beta.pem
expect_verify_ok "gamma verifies against the IGC anchors with CRL checks" operators/gamma.pem
expect_verify_ok "cps-dupont verifies against the IGC anchors with CRL checks" persons/cps-dupont.pem
expect_verify_ok "lgc-alpha verifies against the IGC anchors with CRL checks" apps/lgc-alpha.pem

# The revoked certificate must be fine in itself, so that the failure below is
# due to the CRL and nothing else.
check "revoked cert chains to the anchors when CRLs are not checked" \
    openssl verify -CAfile trust/root-only.pem -untrusted org-ca.pem operators/revoked.pem
expect_verify_fail "revoked cert is rejected with CRL checks (revoked)" "revoked" \
    -CAfile trust/root-only.pem -untrusted org-ca.pem \
    -crl_check_all -CRLfile crl/all.crl.pem operators/revoked.pem
if out=$(openssl crl -in crl/org-ca.crl.pem -noout -text 2>&1) \
   && serial=$(openssl x509 -in operators/revoked.pem -noout -serial 2>&1) \
   && grep -qi "Serial Number: ${serial#serial=}\$" <<<"$out" \
   && grep -q "Key Compromise" <<<"$out"; then
    ok "org-ca CRL lists the revoked serial with reason keyCompromise"
else
    not_ok "org-ca CRL lists the revoked serial with reason keyCompromise" "$out"
fi
if out=$(openssl crl -in crl/root-ca.crl.pem -noout -text 2>&1) && grep -q "No Revoked Certificates" <<<"$out"; then
    ok "root CRL is empty"
else
    not_ok "root CRL is empty" "$out"
fi

expect_verify_fail "expired cert is rejected (expired)" "expired" \
    -CAfile trust/root-only.pem -untrusted org-ca.pem operators/expired.pem

expect_verify_fail "impostor is rejected by the IGC anchors" "unable to get local issuer certificate" \
    -CAfile trust/anchors.pem -crl_check_all -CRLfile crl/all.crl.pem rogue/alpha-impostor.pem
check "impostor verifies against the rogue CA (so it is a well-formed cert)" \
    openssl verify -CAfile rogue/rogue-ca.pem rogue/alpha-impostor.pem
subject() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
alpha_subject=$(subject operators/alpha.pem)
impostor_subject=$(subject rogue/alpha-impostor.pem)
if [[ -n $alpha_subject && $alpha_subject == "$impostor_subject" ]]; then
    ok "impostor subject equals alpha subject ($alpha_subject)"
else
    not_ok "impostor subject equals alpha subject" "alpha:    $alpha_subject"$'\n'"impostor: $impostor_subject"
fi
sans() { openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | tr -d ' '; }
if [[ $(sans operators/alpha.pem) == "DNS:mx.alpha.mssante.test,DNS:localhost,IPAddress:127.0.0.1" \
      && $(sans rogue/alpha-impostor.pem) == "$(sans operators/alpha.pem)" ]]; then
    ok "alpha and impostor carry the same SANs"
else
    not_ok "alpha and impostor carry the same SANs" "alpha: $(sans operators/alpha.pem) impostor: $(sans rogue/alpha-impostor.pem)"
fi

# --- CRL freshness ---------------------------------------------------------
next_update_epoch() {
    local nu
    nu=$(openssl crl -in "$1" -noout -nextupdate) || return 1
    date -u -d "${nu#nextUpdate=}" +%s
}
now=$(date -u +%s)
if nu=$(next_update_epoch crl/org-ca-stale.crl.pem 2>&1) && (( nu < now )); then
    ok "stale CRL's nextUpdate is in the past"
else
    not_ok "stale CRL's nextUpdate is in the past" "$nu"
fi
if nu=$(next_update_epoch crl/org-ca.crl.pem 2>&1) && (( nu > now + 29 * 86400 && nu <= now + 30 * 86400 + 60 )); then
    ok "current org-ca CRL's nextUpdate is ~30 days ahead"
else
    not_ok "current org-ca CRL's nextUpdate is ~30 days ahead" "$nu"
fi
expect_verify_fail "alpha with the stale CRL fails (CRL has expired)" "CRL has expired" \
    -CAfile trust/root-only.pem -untrusted org-ca.pem -crl_check_all \
    -CRLfile crl/org-ca-stale.crl.pem -CRLfile crl/root-ca.crl.pem operators/alpha.pem

# --- key usage ---------------------------------------------------------------
eku() { openssl x509 -in "$1" -noout -ext extendedKeyUsage 2>&1 | tail -n +2 | sed 's/^ *//'; }
alpha_eku=$(eku operators/alpha.pem)
if [[ $alpha_eku == *"TLS Web Server Authentication"* && $alpha_eku == *"TLS Web Client Authentication"* ]]; then
    ok "alpha EKU has serverAuth and clientAuth"
else
    not_ok "alpha EKU has serverAuth and clientAuth" "$alpha_eku"
fi
lgc_eku=$(eku apps/lgc-alpha.pem)
if [[ $lgc_eku == "TLS Web Client Authentication" ]]; then
    ok "lgc EKU is clientAuth only"
else
    not_ok "lgc EKU is clientAuth only" "$lgc_eku"
fi

# --- real mutual-TLS handshake -----------------------------------------------
# start_server <log> <s_server args...>: sets SERVER_PID and PORT; retries on a busy port.
start_server() {
    local log=$1; shift
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        PORT=$((20000 + RANDOM % 10000))
        # -www: the server never reads its stdin (which would end it on EOF).
        openssl s_server -accept "127.0.0.1:$PORT" -naccept 1 -www "$@" </dev/null >"$log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 1 100); do
            grep -q '^ACCEPT' "$log" && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
        grep -qiE 'in use|bind' "$log" || return 1   # not a port clash: give up
    done
    return 1
}
stop_server() {
    for _ in $(seq 1 40); do   # -naccept 1: it exits by itself after one client
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
SRV_ARGS=(-cert operators/alpha-chain.pem -key operators/alpha.key
          -Verify 2 -CAfile trust/anchors.pem -verify_return_error)

if start_server "$TMP/server.log" "${SRV_ARGS[@]}"; then
    cli=$(echo Q | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" \
            -cert operators/beta.pem -key operators/beta.key \
            -CAfile trust/anchors.pem -verify_return_error 2>&1)
    cli_rc=$?
    stop_server
    srv=$(cat "$TMP/server.log")
    # "Verify return code: 0 (ok)" is printed even when the handshake never
    # happened, so also require a negotiated cipher and the expected peers.
    if [[ $cli_rc -eq 0 && $cli == *"Verify return code: 0 (ok)"* \
          && $cli =~ Cipher\ is\ TLS_ && $cli == *"subject=C = FR, ST = Paris (75), O = CHU ALPHA, OU = 1750000016, CN = mx.alpha.mssante.test"* ]]; then
        ok "mutual TLS: beta client verified alpha server (port $PORT)"
    else
        not_ok "mutual TLS: beta client verified alpha server (port $PORT)" "rc=$cli_rc"$'\n'"$cli"
    fi
    if grep -qE '^depth=0 .*CN = mx\.beta\.mssante\.test$' <<<"$srv" \
       && ! grep -qiE 'verify error|error:' <<<"$srv" \
       && grep -qE '^ *1 server accepts that finished' <<<"$srv"; then
        ok "mutual TLS: alpha server verified beta's client certificate"
    else
        not_ok "mutual TLS: alpha server verified beta's client certificate" "$srv"
    fi
else
    not_ok "mutual TLS: could not start openssl s_server" "$(cat "$TMP/server.log" 2>/dev/null)"
fi

# Negative control: the same server must refuse the impostor as a client.
if start_server "$TMP/server2.log" "${SRV_ARGS[@]}"; then
    echo Q | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" \
        -cert rogue/alpha-impostor.pem -key rogue/alpha-impostor.key \
        -CAfile trust/anchors.pem >/dev/null 2>&1
    stop_server
    srv=$(cat "$TMP/server2.log")
    if grep -qiE 'verify error|certificate verify failed|unable to get local issuer' <<<"$srv" \
       && ! grep -qE '^ *1 server accepts that finished' <<<"$srv"; then
        ok "mutual TLS: server rejects the impostor client certificate"
    else
        not_ok "mutual TLS: server rejects the impostor client certificate" "$srv"
    fi
else
    not_ok "mutual TLS: could not start openssl s_server (negative control)" "$(cat "$TMP/server2.log" 2>/dev/null)"
fi

# --- idempotence -------------------------------------------------------------
snapshot() { find "$PKI" -printf '%P %T@ %s\n' | sort; }
before=$(snapshot)
sleep 1   # make a rewrite observable even on coarse-mtime filesystems
rerun=$(bash "$MAKE_TEST_PKI" "$PKI" 2>&1); rerun_rc=$?
after=$(snapshot)
if [[ $rerun_rc -eq 0 && $rerun == *"up to date"* ]]; then
    ok "second run without --force reports up to date"
else
    not_ok "second run without --force reports up to date" "rc=$rerun_rc: $rerun"
fi
if [[ $before == "$after" ]]; then
    ok "second run without --force changes no file"
else
    not_ok "second run without --force changes no file" "$(diff <(echo "$before") <(echo "$after"))"
fi

# --- whitelist -----------------------------------------------------------------
check "whitelist.xml is well-formed XML" \
    python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" whitelist.xml
wl=$(python3 - whitelist.xml <<'EOF' 2>&1
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
doms = doc.getElementsByTagName("Domaine")
print(len(doms))
for d in doms:
    nom = d.getElementsByTagName("Nom")[0].firstChild.data
    dn = d.getElementsByTagName("DNCertificatOperateur")[0].firstChild.data
    if nom == "alpha.mssante.test":
        print(dn)
EOF
)
if [[ $(sed -n 1p <<<"$wl") == 8 ]]; then
    ok "whitelist.xml has 8 Domaine entries"
else
    not_ok "whitelist.xml has 8 Domaine entries" "$wl"
fi
wl_alpha=$(sed -n 2p <<<"$wl")
if [[ -n $wl_alpha && $wl_alpha == "$alpha_subject" ]]; then
    ok "whitelist alpha DN equals alpha's RFC 2253 subject"
else
    not_ok "whitelist alpha DN equals alpha's RFC 2253 subject" "whitelist: $wl_alpha"$'\n'"cert:      $alpha_subject"
fi

finish
