#!/usr/bin/env bash
# make-test-pki.sh — generate a TEST certificate hierarchy modelled on IGC-Santé
# for the mssgw MSSanté gateway (integration tests, local development).
#
#   make-test-pki.sh OUTDIR [--force]
#
# NEVER use the output for production: every private key is unencrypted and
# world-readable, and the hierarchy imitates (but is not) IGC-Santé.
#
# If OUTDIR/.complete exists, operators/alpha.pem is valid for >= 7 more days
# and the intermediate CRL's nextUpdate is >= 7 days away, nothing is done.
# --force regenerates unconditionally.
#
# Dependencies: bash, the openssl CLI (OpenSSL 3.0+) and coreutils only.
# Everything is first generated into OUTDIR/.staging.XXXXXX and only moved into
# place once complete; OUTDIR/.complete is written last.
set -Eeuo pipefail

readonly PROG=${0##*/}
trap 'printf "%s: error: command failed (line %s): %s\n" "$PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR
readonly MIN_VALIDITY_SECS=$((7 * 24 * 3600))

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
usage() { printf 'usage: %s OUTDIR [--force]\n' "$PROG" >&2; exit 2; }

[[ $# -ge 1 && $# -le 2 ]] || usage
case ${1} in -h|--help) usage ;; esac
FORCE=0
if [[ $# -eq 2 ]]; then
    [[ $2 == --force ]] || usage
    FORCE=1
fi
command -v openssl >/dev/null || die "openssl not found in PATH"

mkdir -p -- "$1" || die "cannot create $1"
OUTDIR=$(cd -- "$1" && pwd -P) || die "cannot enter $1"

# Do not let a system/user openssl.cnf influence the result.
export OPENSSL_CONF=/dev/null

# --- up-to-date check ------------------------------------------------------
# GNU date understands OpenSSL's "Mon DD HH:MM:SS YYYY GMT" format.
crl_next_update_epoch() {
    local nu
    nu=$(openssl crl -in "$1" -noout -nextupdate 2>/dev/null) || return 1
    date -u -d "${nu#nextUpdate=}" +%s 2>/dev/null
}

is_up_to_date() {
    local d=$1 nu
    [[ -f $d/.complete && -f $d/operators/alpha.pem && -f $d/crl/org-ca.crl.pem ]] || return 1
    openssl x509 -in "$d/operators/alpha.pem" -noout -checkend "$MIN_VALIDITY_SECS" >/dev/null 2>&1 || return 1
    # The intermediate CRL only lives 30 days; a PKI whose CRL has expired
    # makes every -crl_check fail, so treat it as out of date as well.
    nu=$(crl_next_update_epoch "$d/crl/org-ca.crl.pem") || return 1
    (( nu - $(date -u +%s) >= MIN_VALIDITY_SECS ))
}

if [[ $FORCE -eq 0 ]] && is_up_to_date "$OUTDIR"; then
    echo "test PKI up to date in $OUTDIR"
    exit 0
fi

# --- lock (mkdir is atomic) so concurrent callers do not interleave --------
LOCK=$OUTDIR/.lock
STAGE=
cleanup() {
    [[ -n $STAGE && -d $STAGE ]] && rm -rf -- "$STAGE"
    [[ -f $LOCK/pid && $(cat "$LOCK/pid" 2>/dev/null) == "$$" ]] && rm -rf -- "$LOCK"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

acquire_lock() {
    local waited=0 holder
    until mkdir -- "$LOCK" 2>/dev/null; do
        holder=$(cat "$LOCK/pid" 2>/dev/null || true)
        if [[ -n $holder ]] && ! kill -0 "$holder" 2>/dev/null; then
            rm -rf -- "$LOCK"          # holder died: stale lock
            continue
        fi
        (( waited < 120 )) || die "timed out waiting for $LOCK (held by pid ${holder:-?}); remove it if stale"
        sleep 0.5; waited=$((waited + 1))
    done
    echo $$ >"$LOCK/pid"
}
acquire_lock

# Another process may have finished the job while we waited for the lock.
if [[ $FORCE -eq 0 ]] && is_up_to_date "$OUTDIR"; then
    echo "test PKI up to date in $OUTDIR"
    exit 0
fi

START_NS=$(date +%s%N)
STAGE=$(mktemp -d "$OUTDIR/.staging.XXXXXX")
cd -- "$STAGE"
umask 022

# --- distinguished names (RFC 2253 order, most specific RDN first) --------
readonly DN_ROOT='CN=TEST AC RACINE IGC-SANTE ELEMENTAIRE,OU=IGC-SANTE TEST,O=ASIP-SANTE,C=FR'
readonly DN_ORG='CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS,OU=IGC-SANTE TEST,O=ASIP-SANTE,C=FR'
readonly DN_ALPHA='CN=mx.alpha.mssante.test,OU=1750000016,O=CHU ALPHA,ST=Paris (75),C=FR'
readonly DN_BETA='CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR'
readonly DN_GAMMA='CN=mx.gamma.mssante.test,OU=1690000026,O=CLINIQUE GAMMA,L=Lyon (69),C=FR'
readonly DN_GAMMA_SPACED='CN=mx.gamma.mssante.test, OU=1690000026, O=CLINIQUE GAMMA, L=Lyon (69), C=FR'
readonly DN_CPS='CN=810001234567/DUPONT Jean,SN=DUPONT,GN=JEAN,serialNumber=810001234567,OU=1750000016,O=CHU ALPHA,C=FR'
readonly DN_LGC='CN=lgc.alpha.mssante.test,OU=1750000016,O=CHU ALPHA,ST=Paris (75),C=FR'
readonly DN_REVOKED='CN=mx.revoked.mssante.test,OU=1750000099,O=HOPITAL REVOQUE,ST=Paris (75),C=FR'
readonly DN_EXPIRED='CN=mx.expired.mssante.test,OU=1750000098,O=HOPITAL EXPIRE,ST=Paris (75),C=FR'
readonly DN_ROGUE='CN=Rogue CA,O=Not IGC-Sante,C=FR'

# RFC 2253 string -> OpenSSL -subj string (reverse the RDNs, escape "/").
# Only valid for the DNs above (no escaped commas, no multi-valued RDNs).
to_subj() {
    local IFS=, rdns i out=
    read -r -a rdns <<<"$1"
    for (( i = ${#rdns[@]} - 1; i >= 0; i-- )); do
        out+="/${rdns[i]//\//\\/}"
    done
    printf '%s' "$out"
}

# --- CA state + configuration ---------------------------------------------
# Each CA gets ca-state/<ca>/{openssl.cnf,index.txt,serial,crlnumber,newcerts}.
# Paths in openssl.cnf are relative ("dir = ."): run `openssl ca -config
# openssl.cnf ...` from inside that directory (this script does exactly that).
write_ca_conf() { # <state dir> <ca cert path rel. to state dir> <ca key path rel.>
    cat >"$1/openssl.cnf" <<EOF
# Generated by make-test-pki.sh — TEST CA, never for production.
# Use from within this directory: openssl ca -config openssl.cnf ...
string_mask = utf8only

[ ca ]
default_ca = CA_default

[ CA_default ]
dir              = .
database         = \$dir/index.txt
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
new_certs_dir    = \$dir/newcerts
certificate      = \$dir/$2
private_key      = \$dir/$3
default_md       = sha256
default_days     = 730
default_crl_days = 30
policy           = policy_any
preserve         = yes
email_in_dn      = no
unique_subject   = no
copy_extensions  = none
string_mask      = utf8only
crl_extensions   = crl_ext

[ policy_any ]
countryName             = optional
stateOrProvinceName     = optional
localityName            = optional
organizationName        = optional
organizationalUnitName  = optional
commonName              = supplied

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ v3_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# Operator "SERV SSL": TLS server and client (MSSanté operators use the same
# certificate for inbound and outbound SMTP/TLS). The certificates were issued
# with ../ext/<name>.cnf (-extfile), which is this section plus the SANs.
[ v3_serv_ssl ]
$(serv_ssl_ext_body)

# CPS-like personal authentication certificate.
[ v3_person ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# Organisation client certificate (applicative mailbox / LGC).
[ v3_org_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ req ]
distinguished_name = req_dn
prompt             = no
string_mask        = utf8only
utf8               = yes

[ req_dn ]
CN = placeholder
EOF
}

serv_ssl_ext_body() {
    cat <<'EOF'
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
}

init_ca_state() { # <name> <ca cert rel. to state dir> <ca key rel. to state dir>
    local d=ca-state/$1
    mkdir -p "$d/newcerts" ca-state/csr
    : >"$d/index.txt"
    # Random starting serial so that a regenerated PKI never reuses an
    # issuer+serial pair seen by a long-running peer.
    openssl rand -hex 8 >"$d/serial"
    echo 01 >"$d/crlnumber"
    write_ca_conf "$d" "$2" "$3"
}

genkey() { # <out.key>   RSA-2048, unencrypted PKCS#8 PEM
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null \
        || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null \
        || die "key generation failed for $1"
    chmod 0644 "$1"
}

# run_ca <ca> <openssl ca args...>  — run `openssl ca` inside the CA state dir.
run_ca() {
    local ca=$1 log; shift
    log=$STAGE/ca-state/last-openssl.log
    if ! ( cd "ca-state/$ca" && openssl ca -config openssl.cnf -batch "$@" ) >"$log" 2>&1; then
        sed 's/^/    /' "$log" >&2
        die "openssl ca ($ca) failed: $*"
    fi
}

# issue <ca> <name> <out.pem> <out.key> <rfc2253 dn> <ext section> [extra ca args...]
issue() {
    local ca=$1 name=$2 pem=$3 key=$4 dn=$5 ext=$6; shift 6
    local csr=$STAGE/ca-state/csr/$name.csr
    [[ -s $key ]] || die "internal error: key $key was not pre-generated"
    openssl req -new -config "ca-state/$ca/openssl.cnf" -utf8 -key "$key" \
        -subj "$(to_subj "$dn")" -out "$csr" 2>/dev/null || die "CSR generation failed for $name"
    run_ca "$ca" -utf8 -preserveDN -notext -md sha256 -extensions "$ext" \
        -in "$csr" -out "$STAGE/$pem" "$@"
}

MANIFEST_LINES=()
manifest() { MANIFEST_LINES+=("$(printf '%-34s %s' "$1" "$2")"); }

mkdir -p operators persons apps rogue crl trust

# RSA key generation dominates the run time: generate all keys up front, in parallel.
KEYS=(root-ca.key org-ca.key operators/{alpha,beta,gamma,revoked,expired}.key
      persons/cps-dupont.key apps/lgc-alpha.key rogue/rogue-ca.key rogue/alpha-impostor.key)
KEY_PIDS=()
for k in "${KEYS[@]}"; do
    genkey "$k" &
    KEY_PIDS+=($!)
done
for pid in "${KEY_PIDS[@]}"; do
    wait "$pid" || die "RSA key generation failed"
done

# 1. Root CA (self-signed through `openssl ca -selfsign` so it is in the root's index).
init_ca_state root ../../root-ca.pem ../../root-ca.key
openssl req -new -config ca-state/root/openssl.cnf -utf8 -key root-ca.key \
    -subj "$(to_subj "$DN_ROOT")" -out ca-state/csr/root-ca.csr 2>/dev/null || die "root CSR failed"
run_ca root -selfsign -utf8 -preserveDN -notext -md sha256 -days 3650 -extensions v3_root \
    -keyfile ../../root-ca.key -in ../csr/root-ca.csr -out "$STAGE/root-ca.pem"
manifest root-ca.pem "test root CA (TEST AC RACINE IGC-SANTE ELEMENTAIRE), 10 years"
manifest root-ca.key "its private key"

# 2. Intermediate "organisations" CA, signed by the root.
init_ca_state org ../../org-ca.pem ../../org-ca.key
issue root org-ca org-ca.pem org-ca.key "$DN_ORG" v3_intermediate -days 1825
manifest org-ca.pem "intermediate CA (TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS), pathlen:0, 5 years"
manifest org-ca.key "its private key"

# 3. Operators' SERV SSL certificates (server + client). The per-certificate
#    SANs need a per-certificate extension file (-extfile replaces the
#    config's extension sections).
serv_ssl_extfile() { # <name> <fqdn> -> path of the written file
    local f=$STAGE/ca-state/ext/$1.cnf
    mkdir -p "${f%/*}"
    {
        echo "[ v3_serv_ssl ]"
        serv_ssl_ext_body
        echo "subjectAltName         = DNS:$2, DNS:localhost, IP:127.0.0.1"
    } >"$f"
    printf '%s' "$f"
}
serv_ssl() { # <ca> <name> <out dir> <fqdn> <dn> [extra ca args]
    local ca=$1 name=$2 dir=$3 fqdn=$4 dn=$5 ext; shift 5
    ext=$(serv_ssl_extfile "$name" "$fqdn")
    issue "$ca" "$name" "$dir/$name.pem" "$dir/$name.key" "$dn" v3_serv_ssl -extfile "$ext" "$@"
}
for op in alpha beta gamma; do
    case $op in
        alpha) dn=$DN_ALPHA ;;
        beta)  dn=$DN_BETA ;;
        gamma) dn=$DN_GAMMA ;;
    esac
    serv_ssl org "$op" operators "mx.$op.mssante.test" "$dn" -days 730
    cat "operators/$op.pem" org-ca.pem >"operators/$op-chain.pem"
    manifest "operators/$op.pem" "SERV SSL cert of operator $op.mssante.test (serverAuth+clientAuth), 2 years"
    manifest "operators/$op.key" "its private key"
    manifest "operators/$op-chain.pem" "$op leaf + intermediate: what its server/client presents"
done

# 4. CPS-like personal certificate (idNat 810001234567 in serialNumber and CN).
issue org cps-dupont persons/cps-dupont.pem persons/cps-dupont.key "$DN_CPS" v3_person -days 730
manifest persons/cps-dupont.pem "CPS-like personal client cert, idNat 810001234567 (clientAuth)"
manifest persons/cps-dupont.key "its private key"

# 5. Organisation client certificate for an applicative mailbox.
issue org lgc-alpha apps/lgc-alpha.pem apps/lgc-alpha.key "$DN_LGC" v3_org_client -days 730
manifest apps/lgc-alpha.pem "organisation client cert (applicative mailbox, clientAuth only)"
manifest apps/lgc-alpha.key "its private key"

# 6. Revoked operator certificate.
serv_ssl org revoked operators mx.revoked.mssante.test "$DN_REVOKED" -days 730
cat operators/revoked.pem org-ca.pem >operators/revoked-chain.pem
run_ca org -revoke "$STAGE/operators/revoked.pem" -crl_reason keyCompromise
manifest operators/revoked.pem "SERV SSL cert REVOKED (keyCompromise), listed in crl/org-ca.crl.pem"
manifest operators/revoked.key "its private key"
manifest operators/revoked-chain.pem "revoked leaf + intermediate"

# 8. Expired operator certificate (validity entirely in the past).
serv_ssl org expired operators mx.expired.mssante.test "$DN_EXPIRED" \
    -startdate 20200101000000Z -enddate 20210101000000Z
cat operators/expired.pem org-ca.pem >operators/expired-chain.pem
manifest operators/expired.pem "SERV SSL cert EXPIRED (2020-01-01 .. 2021-01-01)"
manifest operators/expired.key "its private key"
manifest operators/expired-chain.pem "expired leaf + intermediate"

# 7. CRLs. The stale one is generated first so the current CRL has the higher
#    crlNumber. OpenSSL 3.0's `openssl ca` has -crl_lastupdate/-crl_nextupdate,
#    so the stale CRL is genuinely back-dated (no sleeping needed).
fmt_utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
run_ca org -gencrl -md sha256 -crl_lastupdate "$(fmt_utc '40 days ago')" \
    -crl_nextupdate "$(fmt_utc '10 days ago')" -out "$STAGE/crl/org-ca-stale.crl.pem"
run_ca org -gencrl -md sha256 -crldays 30 -out "$STAGE/crl/org-ca.crl.pem"
run_ca root -gencrl -md sha256 -crldays 30 -out "$STAGE/crl/root-ca.crl.pem"
cat crl/org-ca.crl.pem crl/root-ca.crl.pem >crl/all.crl.pem
manifest crl/org-ca.crl.pem "intermediate CRL listing operators/revoked.pem, nextUpdate +30 days"
manifest crl/root-ca.crl.pem "root CRL (empty), nextUpdate +30 days"
manifest crl/all.crl.pem "org-ca.crl.pem + root-ca.crl.pem (for -crl_check_all)"
manifest crl/org-ca-stale.crl.pem "intermediate CRL whose nextUpdate is 10 days in the past"

# 9. Rogue CA and an impostor with alpha's exact subject DN and SANs.
init_ca_state rogue ../../rogue/rogue-ca.pem ../../rogue/rogue-ca.key
openssl req -new -config ca-state/rogue/openssl.cnf -utf8 -key rogue/rogue-ca.key \
    -subj "$(to_subj "$DN_ROGUE")" -out ca-state/csr/rogue-ca.csr 2>/dev/null || die "rogue CSR failed"
run_ca rogue -selfsign -utf8 -preserveDN -notext -md sha256 -days 3650 -extensions v3_root \
    -keyfile ../../rogue/rogue-ca.key -in ../csr/rogue-ca.csr -out "$STAGE/rogue/rogue-ca.pem"
serv_ssl rogue alpha-impostor rogue mx.alpha.mssante.test "$DN_ALPHA" -days 730
manifest rogue/rogue-ca.pem "unrelated self-signed CA (NOT trusted)"
manifest rogue/rogue-ca.key "its private key"
manifest rogue/alpha-impostor.pem "same subject DN and SANs as operators/alpha.pem, issued by the rogue CA"
manifest rogue/alpha-impostor.key "its private key"

# 10. Trust anchors.
cat root-ca.pem org-ca.pem >trust/anchors.pem
cp root-ca.pem trust/root-only.pem
manifest trust/anchors.pem "root + intermediate: the trust anchors a gateway loads"
manifest trust/root-only.pem "root only"

# 11. Whitelist in the ANS format.
xml_escape() {
    local s=$1
    s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}
    printf '%s' "$s"
}
NOW_XML=$(date -u +%Y-%m-%dT%H:%M:%SZ)
domaine() { # <nom> <description> <dn> <contact user part>
    cat <<EOF
        <Domaine>
            <Nom>$(xml_escape "$1")</Nom>
            <Description>$(xml_escape "$2")</Description>
            <DNCertificatOperateur>$(xml_escape "$3")</DNCertificatOperateur>
            <ResponsableContact>01 00 00 00 00, admin@$(xml_escape "$4")</ResponsableContact>
            <SupportContact>01 00 00 00 01, support@$(xml_escape "$4")</SupportContact>
            <DateMAJ>$NOW_XML</DateMAJ>
        </Domaine>
EOF
}
{
    printf '<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">\n'
    printf '    <DateDeGeneration>%s</DateDeGeneration>\n' "$NOW_XML"
    printf '    <ListeDomaines>\n'
    domaine alpha.mssante.test        "CHU ALPHA"        "$DN_ALPHA"        alpha.mssante.test
    domaine beta.mssante.test         "GCS BETA SANTE"   "$DN_BETA"         beta.mssante.test
    domaine gamma.mssante.test        "CLINIQUE GAMMA"   "$DN_GAMMA_SPACED" gamma.mssante.test
    domaine Alpha-Pharma.mssante.test "CHU ALPHA PHARMA" "$DN_ALPHA"        alpha-pharma.mssante.test
    domaine revoked.mssante.test      "HOPITAL REVOQUE"  "$DN_REVOKED"      revoked.mssante.test
    domaine expired.mssante.test      "HOPITAL EXPIRE"   "$DN_EXPIRED"      expired.mssante.test
    domaine patient.mssante.test      "ESPACE PATIENT (operateur alpha)" "$DN_ALPHA" patient.mssante.test
    domaine patient.mssante.test      "ESPACE PATIENT (operateur beta)"  "$DN_BETA"  patient.mssante.test
    printf '    </ListeDomaines>\n'
    printf '</ListeBlancheMSSante>\n'
} >whitelist.xml
manifest whitelist.xml "ANS-format whitelist of the test domains (8 <Domaine>, patient.mssante.test twice)"

# --- sanity checks before publishing ---------------------------------------
for leaf in operators/alpha.pem operators/beta.pem operators/gamma.pem \
            persons/cps-dupont.pem apps/lgc-alpha.pem; do
    openssl verify -CAfile trust/root-only.pem -untrusted org-ca.pem \
        -crl_check_all -CRLfile crl/all.crl.pem "$leaf" >/dev/null 2>&1 \
        || die "self-check failed: $leaf does not verify"
done

# 12. MANIFEST.
manifest ca-state/ "openssl ca state of the root, org and rogue CAs (<ca>/openssl.cnf, index.txt, serial, crlnumber; csr/, ext/)"
manifest MANIFEST "this file"
manifest .complete "written last; its presence means the PKI is complete"
{
    echo "# mssgw TEST PKI modelled on IGC-Santé — NEVER use in production."
    echo "# Generated $NOW_XML by make-test-pki.sh. Keys: RSA-2048, unencrypted PEM. Signatures: SHA-256."
    printf '%s\n' "${MANIFEST_LINES[@]}"
} >MANIFEST
for line in "${MANIFEST_LINES[@]}"; do
    f=${line%% *}
    [[ $f == .complete ]] && continue
    [[ -e $f ]] || die "internal error: $f listed in MANIFEST but not generated"
done
rm -f ca-state/last-openssl.log

# --- publish: replace the previous generation, then write .complete --------
cd -- "$OUTDIR"
rm -f -- .complete
for entry in "$STAGE"/* "$STAGE"/.[!.]*; do
    [[ -e $entry ]] || continue
    name=${entry##*/}
    rm -rf -- "${OUTDIR:?}/$name"
    mv -- "$entry" "$OUTDIR/$name"
done
rmdir -- "$STAGE"; STAGE=
echo "$NOW_XML" >.complete

ELAPSED_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
echo "test PKI generated in $OUTDIR (${ELAPSED_MS} ms) — TEST ONLY, never for production"
echo "  trust anchors : trust/anchors.pem (root + intermediate), CRLs: crl/all.crl.pem"
for f in operators/alpha.pem operators/beta.pem operators/gamma.pem persons/cps-dupont.pem \
         apps/lgc-alpha.pem operators/revoked.pem operators/expired.pem rogue/alpha-impostor.pem; do
    printf '  %-26s %s\n' "$f" \
        "$(openssl x509 -in "$f" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//')"
done
echo "  whitelist     : whitelist.xml; full list in MANIFEST"
