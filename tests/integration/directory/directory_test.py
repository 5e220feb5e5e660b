#!/usr/bin/env python3
"""Integration test of the directory mirror: the real mssgw binary against a real slapd started here.

slapd runs on 127.0.0.1 (free ports) with the project's schema (deploy/ldap/mssgw-directory.schema), back_mdb,
syncprov and a `limits` rule for the sync account; its content comes from `mssgw directory export-ldif` of a
generated extraction, loaded with slapadd. Checked:
  LDAP: initial sync (full, paged), modify, add, delete, rename (modrdn), restart of slapd with the stored cookie,
        cookie refused (provider restored from an older backup; a cookie it cannot parse) -> full reload,
        size limit (an account without `limits`) -> failure with the mirror unchanged,
        SASL EXTERNAL over TLS with a client certificate (and a wrong CA refused),
        `mssgw serve`: periodic sync, server down -> retries with exponential backoff while lookups keep working,
        then recovery.
  Extraction: header variants (BOM, CRLF, trailing '|', folded names), bad lines with their numbers, duplicates,
        the error ceiling (nothing applied), an import that deletes, `export` of the BALs hosted here.

Prints "ok - ..." / "not ok - ..." per check, then "N passed, M failed"; exits 1 if any check failed.
Environment: MSSGW (the binary), MSSGW_SOURCE_DIR, MSSGW_BUILD_DIR (set by CTest).
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("MSSGW_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
MSSGW = os.environ.get("MSSGW") or os.path.join(SRC, "build", "app", "mssgw")
SCHEMA = os.path.join(SRC, "deploy/ldap/mssgw-directory.schema")
SUFFIX = "dc=mssante,dc=test"
BASE = "ou=bal," + SUFFIX
ROOTDN = "cn=admin," + SUFFIX

COLUMNS = ["Type de BAL", "Adresse BAL", "Type Identifiant PP", "Identifiant PP", "Identification nationale PP",
           "Type identifiant structure", "Identification Structure", "Service de rattachement",
           "Civilité d'exercice", "Nom d'exercice", "Prénom d'exercice", "Catégorie profession",
           "Libellé de catégorie profession", "Code Profession", "Libellé Profession", "Code savoir-faire",
           "Libellé savoir-faire", "Dématérialisation", "Raison Sociale structure BAL",
           "Enseigne commerciale structure BAL", "L2COMPLEMENTLOCALISATION structure BAL",
           "L3COMPLEMENTDISTRIBUTION structure BAL", "L4NUMEROVOIE structure BAL",
           "L4COMPLEMENTNUMEROVOIE structure BAL", "NL4TYPEVOIE structure BAL", "L4LIBELLEVOIE structure BAL",
           "L5LIEUDITMENTION structure BAL", "L6LIGNEACHEMINEMENT structure BAL", "Code postal structure BAL",
           "Département structure BAL", "Pays structure BAL"]

passed = 0
failed = 0
tmp = tempfile.mkdtemp(prefix="mssgw-directory-test.")
processes = []  # (name, Popen) we started; slapd is tracked by its pidfile


def ok(desc):
    global passed
    passed += 1
    print("ok - " + desc, flush=True)


def not_ok(desc, detail=""):
    global failed
    failed += 1
    print("not ok - " + desc, flush=True)
    for line in str(detail).splitlines()[:40]:
        print("#   " + line)


def check(desc, cond, detail=""):
    if cond:
        ok(desc)
    else:
        not_ok(desc, detail)
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, check_rc=None, input_text=None, env=None):
    r = subprocess.run(args, capture_output=True, text=True, input=input_text, env=env, timeout=300)
    if check_rc is not None and r.returncode != check_rc:
        raise RuntimeError("%s -> rc %d\n%s\n%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def row(t, address, idnat="", surname="", given="", structure="", extra=None):
    f = [""] * 31
    f[0], f[1] = t, address
    if idnat:
        f[2], f[3], f[4] = "8", idnat[1:], idnat
    if structure:
        f[5], f[6] = "1", structure
    f[9], f[10] = surname, given
    for k, v in (extra or {}).items():
        f[k] = v
    return "|".join(f)


# ---------------------------------------------------------------------------------------------- slapd
class Slapd:
    def __init__(self, root, port, tls_port=None, pki=None):
        self.root, self.port, self.tls_port, self.pki = root, port, tls_port, pki
        self.conf = os.path.join(root, "slapd.conf")
        self.db = os.path.join(root, "db")
        self.pidfile = os.path.join(root, "slapd.pid")
        os.makedirs(self.db, exist_ok=True)
        tls = ""
        if pki:
            tls = ("TLSCACertificateFile %s/trust/anchors.pem\n"
                   "TLSCertificateFile %s/operators/beta-chain.pem\n"
                   "TLSCertificateKeyFile %s/operators/beta.key\n"
                   "TLSVerifyClient try\n"
                   # SASL EXTERNAL: the gateway's client certificate maps to the sync account.
                   'authz-regexp "^cn=lgc\\.alpha\\.mssante\\.test,.*$" "cn=sync,%s"\n') % (pki, pki, pki, SUFFIX)
        with open(self.conf, "w") as f:
            f.write(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include {SCHEMA}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload syncprov
pidfile {self.pidfile}
argsfile {root}/slapd.args
{tls}sizelimit 500
database mdb
maxsize 1073741824
suffix "{SUFFIX}"
rootdn "{ROOTDN}"
rootpw secret
directory {self.db}
index objectClass,entryCSN,entryUUID eq
index mail eq
limits dn.exact="cn=sync,{SUFFIX}" size=unlimited time=unlimited
overlay syncprov
syncprov-checkpoint 100 10
syncprov-sessionlog 10000
""")
        self.url = "ldap://127.0.0.1:%d/" % port

    def load(self, *ldifs):
        for l in ldifs:
            run(["slapadd", "-f", self.conf, "-q", "-l", l], check_rc=0)

    def wipe(self):
        shutil.rmtree(self.db)
        os.makedirs(self.db)

    def start(self):
        urls = "ldap://127.0.0.1:%d/" % self.port
        if self.tls_port:
            urls += " ldaps://127.0.0.1:%d/" % self.tls_port
        run(["slapd", "-f", self.conf, "-h", urls], check_rc=0)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("slapd did not start")

    def pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self.pid()
        if not pid:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                return
        os.kill(pid, signal.SIGKILL)

    def modify(self, ldif):
        run(["ldapmodify", "-x", "-H", self.url, "-D", ROOTDN, "-w", "secret"], check_rc=0, input_text=ldif)

    def count(self):
        r = run(["ldapsearch", "-x", "-LLL", "-H", self.url, "-D", ROOTDN, "-w", "secret", "-z", "0", "-b", BASE,
                 "(objectClass=mssgwMailbox)", "1.1"], check_rc=0)
        return sum(1 for line in r.stdout.splitlines() if line.startswith("dn:"))


slapd_instances = []


def cleanup():
    for s in slapd_instances:
        s.stop()
    for name, p in processes:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- mssgw
def write_config(path, state, ldap=None, extra_dir=""):
    text = f"""[server]
state_dir = "{state}"
local_domains = ["hop.mssante.test"]

[directory]
import_max_errors = 5
{extra_dir}
"""
    if ldap:
        text += "\n[directory.ldap]\n" + "".join('%s = %s\n' % (k, json.dumps(v)) for k, v in ldap.items())
    with open(path, "w") as f:
        f.write(text)
    return path


def mssgw(conf, *args):
    return run([MSSGW, "-c", conf] + list(args))


def mssgw_json(conf, *args):
    r = mssgw(conf, *args, "--json")
    try:
        return r.returncode, json.loads(r.stdout), r
    except ValueError:
        return r.returncode, None, r


def lookup(conf, address):
    rc, j, _ = mssgw_json(conf, "directory", "lookup", address)
    return j if rc == 0 else None


# ---------------------------------------------------------------------------------------------- data
SURNAMES = ["Dupont", "Martin", "Lefèvre", "Bernard", "Le Goff", "N'Guessan", "Müller", "Petit", "Durand", "Moreau"]
GIVEN = ["Jean", "Hélène", "Éloïse", "Zoé", "Anne-Sophie", "Loïc", "François", "Chloé", "Noël", "Léa"]


def generate_extraction(path, n):
    rnd = random.Random(42)
    lines = ["|".join(COLUMNS)]
    for i in range(n):
        if i % 10 == 9:
            lines.append(row("ORG", "service%03d@hop.mssante.test" % i, structure="1750%06d" % (i // 50),
                             extra={7: "Service n°%d" % i, 18: "Hôpital Saint-Éloi"}))
        else:
            s, g = rnd.choice(SURNAMES), rnd.choice(GIVEN)
            lines.append(row("PER", "user%03d@hop.mssante.test" % i, "8%011d" % i, s, g, "1750%06d" % (i // 50),
                             extra={14: "Médecin", 28: "750%02d" % (i % 20), 30: "France"}))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------- tests
def test_extraction():
    state = os.path.join(tmp, "x-state")
    conf = write_config(os.path.join(tmp, "x.toml"), state)
    header = "|".join(COLUMNS)
    good = [row("PER", "Jean.Dupont@hop.mssante.test", "810000000001", "Dupont", "Jean", "1750000001"),
            row("PER", "helene@hop.mssante.test", "810000000002", "Lefèvre", "Hélène", "1750000001"),
            row("ORG", "accueil@autre.mssante.test", structure="1750000002", extra={7: "Accueil"}),
            row("PER", "partant@autre.mssante.test", "810000000003", "Partant", "Paul")]
    # Variant: BOM, CRLF, trailing '|', a blank line; a bad line (line 4), a duplicate (line 6).
    text = "\ufeff" + header + "|\r\n" + good[0] + "|\r\n" + good[1] + "\r\n" + "PER|broken\r\n" + "\r\n" + \
        good[2] + "\r\n" + good[0].replace("|Jean|", "||") + "\r\n" + good[3] + "\r\n"
    f1 = os.path.join(tmp, "ext1.txt")
    with open(f1, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    rc, j, r = mssgw_json(conf, "directory", "import", f1)
    check("import: BOM, CRLF and trailing '|' accepted", rc == 0 and j and j["applied"], r.stdout + r.stderr)
    check("import: the bad line is reported with its number",
          j and j["error_count"] == 1 and j["errors"][0]["line"] == 4, j)
    check("import: the duplicate is merged", j and j["duplicates"] == 1 and j["changes"]["added"] == 4, j)
    e = lookup(conf, "JEAN.DUPONT@HOP.MSSANTE.TEST")
    check("lookup: case-insensitive, first row wins on duplicates",
          e and e["given_name"] == "Jean" and e["idnat"] == "810000000001" and e["source"] == "extraction", e)
    check("lookup: a BAL of a local domain is marked local", e and e["local"] is True, e)
    check("lookup: other domains are not", (lookup(conf, "accueil@autre.mssante.test") or {}).get("local") is False)
    rc, j, r = mssgw_json(conf, "directory", "search", "lefevre helene")
    check("search: accents and case ignored", rc == 0 and [x["address"] for x in j] == ["helene@hop.mssante.test"],
          r.stdout + r.stderr)
    rc, j, _ = mssgw_json(conf, "directory", "search", "--structure", "1750000001")
    check("search by structure id", rc == 0 and len(j) == 2, j)
    rc, j, _ = mssgw_json(conf, "directory", "search", "--idnat", "810000000002")
    check("search by idNat", rc == 0 and len(j) == 1 and j[0]["surname"] == "Lefèvre", j)

    # Header variant: folded, upper-case names in another order.
    cols = [c.upper().replace("É", "E").replace("È", "E") for c in COLUMNS]
    cols[0], cols[1] = cols[1], cols[0]
    def swapped(line):
        v = line.split("|")
        v[0], v[1] = v[1], v[0]
        return "|".join(v)
    f2 = os.path.join(tmp, "ext2.txt")
    with open(f2, "w", encoding="utf-8") as f:
        f.write("|".join(cols) + "\n" + "\n".join(swapped(g) for g in good[:3]) + "\n")
    rc, j, r = mssgw_json(conf, "directory", "import", f2)
    check("import: header matched by name (other order, other case, no accents)",
          rc == 0 and j["applied"] and j["changes"]["unchanged"] == 3 and j["changes"]["deleted"] == 1,
          r.stdout + r.stderr)
    check("import that deletes: the missing row is gone", lookup(conf, "partant@autre.mssante.test") is None)
    check("import that deletes: the others remain", lookup(conf, "helene@hop.mssante.test") is not None)

    # Above the error ceiling nothing is applied.
    f3 = os.path.join(tmp, "ext3.txt")
    with open(f3, "w", encoding="utf-8") as f:
        f.write(header + "\n" + "\n".join(["PER|bad%d" % i for i in range(6)]) + "\n" + good[3] + "\n")
    r = mssgw(conf, "directory", "import", f3)
    check("import: above the error ceiling it is refused (exit 1)", r.returncode == 1 and "nothing applied" in r.stderr,
          r.stdout + r.stderr)
    check("import: errors are listed with file:line", "ext3.txt:2: expected 31 fields" in r.stderr, r.stderr)
    check("import: refused means nothing applied", lookup(conf, "partant@autre.mssante.test") is None)
    r = mssgw(conf, "directory", "import", os.path.join(tmp, "does-not-exist.txt"))
    check("import: a missing file is an error", r.returncode == 1)
    f4 = os.path.join(tmp, "ext4.txt")
    with open(f4, "w") as f:
        f.write("Nom|Prenom\nx|y\n")
    r = mssgw(conf, "directory", "import", f4)
    check("import: an unusable header is refused", r.returncode == 1 and "required column" in r.stderr, r.stderr)

    # A BAL created here but unknown to the extraction.
    r = run([MSSGW, "-c", conf, "bal", "create", "nouveau@hop.mssante.test", "--owner", "810000000077",
             "--name", "Nouveau"])
    e = lookup(conf, "nouveau@hop.mssante.test")
    check("lookup: a local BAL no source lists is found, source local",
          r.returncode == 0 and e and e["source"] == "local" and e["local"], (r.stderr, e))
    out = os.path.join(tmp, "export.txt")
    r = mssgw(conf, "directory", "export", out)
    lines = open(out, encoding="utf-8").read().splitlines() if os.path.exists(out) else []
    addrs = sorted(l.split("|")[1] for l in lines[1:])
    check("export: the BALs hosted here, in the extraction format",
          r.returncode == 0 and lines and lines[0] == header and
          addrs == ["helene@hop.mssante.test", "jean.dupont@hop.mssante.test", "nouveau@hop.mssante.test"],
          (r.stdout, r.stderr, addrs))
    state2 = os.path.join(tmp, "x2-state")
    conf2 = write_config(os.path.join(tmp, "x2.toml"), state2)
    rc, j, r = mssgw_json(conf2, "directory", "import", out)
    check("export: the exported file imports back", rc == 0 and j["changes"]["added"] == 3, r.stdout + r.stderr)


def test_ldap(pki):
    port, tls_port = free_port(), free_port()
    sroot = os.path.join(tmp, "slapd")
    os.makedirs(sroot)
    slapd = Slapd(sroot, port, tls_port, pki)
    slapd_instances.append(slapd)
    state = os.path.join(tmp, "l-state")
    secret = os.path.join(tmp, "sync.secret")
    with open(secret, "w") as f:
        f.write("syncpw\n")
    ldap_cfg = {"url": slapd.url, "bind": "simple", "bind_dn": "cn=sync," + SUFFIX, "password_file": secret,
                "base": BASE, "timeout": "5s", "page_size": 100}
    conf = write_config(os.path.join(tmp, "l.toml"), state, ldap_cfg)

    # Content: 600 entries (more than slapd's default sizelimit of 500), via export-ldif.
    ext = os.path.join(tmp, "national.txt")
    generate_extraction(ext, 600)
    ldif = os.path.join(tmp, "national.ldif")
    r = mssgw(conf, "directory", "export-ldif", ext, ldif)
    check("export-ldif: writes LDIF for the schema", r.returncode == 0 and "wrote 600 entries" in r.stdout,
          r.stdout + r.stderr)
    base_ldif = os.path.join(tmp, "base.ldif")
    with open(base_ldif, "w") as f:
        f.write(f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: mssante
o: test

dn: cn=sync,{SUFFIX}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: sync
userPassword: syncpw

dn: cn=reader,{SUFFIX}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: readerpw

dn: {BASE}
objectClass: organizationalUnit
ou: bal

""")
    try:
        slapd.load(base_ldif, ldif)
        ok("slapadd loads the export-ldif output with the project's schema")
    except RuntimeError as e:
        not_ok("slapadd loads the export-ldif output with the project's schema", e)
        return
    slapd.start()
    check("slapd serves the 600 entries", slapd.count() == 600)

    rc, j, r = mssgw_json(conf, "directory", "sync")
    check("initial sync: full paged reload of 600 entries",
          rc == 0 and j["mode"] == "full" and j["changes"]["added"] == 600 and j["received"] == 600,
          r.stdout + r.stderr)
    e = lookup(conf, "user001@hop.mssante.test")
    check("initial sync: entries carry the LDAP attributes (UTF-8 included) and their entryUUID",
          e and e["source"] == "ldap" and e["idnat"] == "800000000001" and e["profession_label"] == "Médecin" and
          len(e["entry_uuid"]) == 36, e)
    rc, st, _ = mssgw_json(conf, "directory", "status")
    check("the cookie is stored in LMDB", rc == 0 and st["cookie"].startswith("rid=") and st["cookie_matches_config"],
          st)
    rc, j, r = mssgw_json(conf, "directory", "sync")
    check("next sync is incremental and finds nothing new",
          rc == 0 and j["mode"] == "incremental" and j["received"] == 0 and j["changes"]["added"] == 0 and
          j["changes"]["deleted"] == 0, r.stdout + r.stderr)

    backup = os.path.join(tmp, "backup.ldif")
    run(["slapcat", "-f", slapd.conf, "-l", backup], check_rc=0)  # for the "restored provider" case below

    slapd.modify(f"""dn: mail=user001@hop.mssante.test,{BASE}
changetype: modify
replace: sn
sn: Nouvel-Nom
""")
    rc, j, r = mssgw_json(conf, "directory", "sync")
    e = lookup(conf, "user001@hop.mssante.test")
    check("modify: arrives incrementally as an update",
          rc == 0 and j["mode"] == "incremental" and j["changes"]["updated"] == 1 and e and e["surname"] == "Nouvel-Nom",
          (r.stdout, e))
    slapd.modify(f"""dn: mail=ajout@hop.mssante.test,{BASE}
changetype: add
objectClass: mssgwMailbox
mail: ajout@hop.mssante.test
mssgwBalType: PER
sn: Ajouté
givenName: Zoé
mssgwIdNat: 899999999999
""")
    rc, j, r = mssgw_json(conf, "directory", "sync")
    check("add: arrives incrementally", rc == 0 and j["changes"]["added"] == 1 and lookup(conf, "ajout@hop.mssante.test"),
          r.stdout + r.stderr)
    rc, j, _ = mssgw_json(conf, "directory", "search", "ajoute zoe")
    check("add: found by the accent-insensitive name search", rc == 0 and len(j) == 1, j)
    slapd.modify(f"""dn: mail=user002@hop.mssante.test,{BASE}
changetype: delete
""")
    rc, j, r = mssgw_json(conf, "directory", "sync")
    check("delete: arrives as an entryUUID and removes the entry",
          rc == 0 and j["changes"]["deleted"] == 1 and lookup(conf, "user002@hop.mssante.test") is None,
          r.stdout + r.stderr)
    slapd.modify(f"""dn: mail=user003@hop.mssante.test,{BASE}
changetype: modrdn
newrdn: mail=renomme@hop.mssante.test
deleteoldrdn: 1
""")
    rc, j, r = mssgw_json(conf, "directory", "sync")
    e = lookup(conf, "renomme@hop.mssante.test")
    check("rename (modrdn): the old address goes, the new one comes with the same entry",
          rc == 0 and lookup(conf, "user003@hop.mssante.test") is None and e and e["idnat"] == "800000000003",
          (r.stdout, e))
    rc, st, _ = mssgw_json(conf, "directory", "status")
    check("the mirror holds what slapd holds", st["sources"]["ldap"]["entries"] == slapd.count() == 600, st)

    # Restart slapd; the stored cookie resumes (incremental), across a delete made after the restart.
    slapd.stop()
    slapd.start()
    slapd.modify(f"""dn: mail=user004@hop.mssante.test,{BASE}
changetype: delete

dn: mail=user005@hop.mssante.test,{BASE}
changetype: modify
replace: givenName
givenName: Après-Redémarrage
""")
    rc, j, r = mssgw_json(conf, "directory", "sync")
    e = lookup(conf, "user005@hop.mssante.test")
    check("restart: the sync resumes from the stored cookie (incremental)",
          rc == 0 and j["mode"] == "incremental" and not j["cookie_refused"], r.stdout + r.stderr)
    check("restart: changes made after the restart are applied",
          lookup(conf, "user004@hop.mssante.test") is None and e and e["given_name"] == "Après-Redémarrage", e)

    # Size limit: an account without a `limits` rule gets rc=4 after 500 entries: a failure, the mirror unchanged.
    reader_cfg = dict(ldap_cfg, bind_dn="cn=reader," + SUFFIX, password="readerpw")
    del reader_cfg["password_file"]
    conf_reader = write_config(os.path.join(tmp, "reader.toml"), state, reader_cfg)
    rc, j, r = mssgw_json(conf_reader, "directory", "sync", "--full")
    check("size limit (rc=4) is a failure, never a partial mirror",
          rc == 1 and "size limit" in (j or {}).get("error", "").lower(), r.stdout + r.stderr)
    rc, st, _ = mssgw_json(conf, "directory", "status")
    check("size limit: the mirror is unchanged", st["sources"]["ldap"]["entries"] == 599 and
          lookup(conf, "user001@hop.mssante.test") is not None, st)
    rc, st2, _ = mssgw_json(conf_reader, "directory", "status")
    check("size limit: the stored cookie is unchanged", st2["cookie"] == st["cookie"], (st2, st))

    # A cookie the server cannot parse: it answers with everything and an empty cookie -> refused -> full reload.
    rc, j, r = mssgw_json(conf, "directory", "sync", "--cookie", "garbage")
    check("unparsable cookie: refused, full reload", rc == 0 and j["cookie_refused"] and j["mode"] == "full" and
          j["changes"]["added"] == 0 and j["changes"]["deleted"] == 0, r.stdout + r.stderr)

    # The provider is restored from an older backup: our cookie is newer than its state (slapd: "consumer state
    # is newer than provider", rc=53) -> full reload, and the mirror follows the restored content.
    slapd.stop()
    slapd.wipe()
    slapd.load(backup)
    slapd.start()
    rc, j, r = mssgw_json(conf, "directory", "sync")
    check("cookie refused by a restored provider -> full paged reload",
          rc == 0 and j["cookie_refused"] and j["mode"] == "full", r.stdout + r.stderr)
    check("full reload with diff: the mirror equals the restored content",
          lookup(conf, "ajout@hop.mssante.test") is None and lookup(conf, "user002@hop.mssante.test") and
          lookup(conf, "user003@hop.mssante.test") and lookup(conf, "renomme@hop.mssante.test") is None and
          (lookup(conf, "user001@hop.mssante.test") or {}).get("surname") != "Nouvel-Nom" and
          j["changes"]["entries"] == 600, j)
    rc, j, r = mssgw_json(conf, "directory", "sync")
    check("after the reload, syncs are incremental again", rc == 0 and j["mode"] == "incremental", r.stdout)

    # SASL EXTERNAL over TLS with the gateway's client certificate.
    if pki:
        tls_cfg = {"url": "ldaps://127.0.0.1:%d/" % tls_port, "bind": "external", "base": BASE,
                   "ca_file": pki + "/trust/anchors.pem", "cert_file": pki + "/apps/lgc-alpha.pem",
                   "key_file": pki + "/apps/lgc-alpha.key", "timeout": "5s"}
        conf_tls = write_config(os.path.join(tmp, "tls.toml"), state, tls_cfg)
        rc, j, r = mssgw_json(conf_tls, "directory", "sync")
        check("SASL EXTERNAL over TLS: bound as the sync account (no size limit), full sync",
              rc == 0 and j["mode"] == "full" and j["received"] == 600, r.stdout + r.stderr)
        bad = dict(tls_cfg, ca_file=pki + "/rogue/rogue-ca.pem")
        conf_bad = write_config(os.path.join(tmp, "tls-bad.toml"), state, bad)
        rc, j, r = mssgw_json(conf_bad, "directory", "sync")
        check("TLS: a server not signed by the configured CA is refused", rc == 1, r.stdout + r.stderr)

    # `mssgw serve`: periodic sync; the server goes down -> exponential backoff, lookups keep working; recovery.
    serve_cfg = dict(ldap_cfg, interval="2s", retry_min="1s", retry_max="4s")
    conf_serve = write_config(os.path.join(tmp, "serve.toml"), state, serve_cfg)
    log_path = os.path.join(tmp, "serve.log")
    log = open(log_path, "w")
    serve = subprocess.Popen([MSSGW, "-c", conf_serve, "serve"], stdout=log, stderr=subprocess.STDOUT)
    processes.append(("serve", serve))

    def log_lines(event):
        with open(log_path) as f:
            return [l for l in f if event in l]

    def wait_for(pred, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if pred():
                return True
            time.sleep(0.2)
        return False

    check("serve: syncs at start", wait_for(lambda: log_lines("directory.sync.done"), 20), open(log_path).read())
    slapd.stop()
    got = wait_for(lambda: len(log_lines("directory.sync.failed")) >= 4, 30)
    retries = []
    for l in log_lines("directory.sync.failed"):
        for tok in l.split():
            if tok.startswith("retry_in="):
                retries.append(int(tok.split("=")[1]))
    check("server down: retries with exponential backoff capped at retry_max",
          got and retries[:4] == [1, 2, 4, 4], (retries, open(log_path).read()[-3000:]))
    e = lookup(conf, "user001@hop.mssante.test")
    check("server down: the old mirror keeps serving lookups", e is not None and e["source"] == "ldap", e)
    slapd.start()
    slapd.modify(f"""dn: mail=user006@hop.mssante.test,{BASE}
changetype: modify
replace: sn
sn: Revenu
""")
    check("server back: the next run succeeds and applies the change",
          wait_for(lambda: (lookup(conf, "user006@hop.mssante.test") or {}).get("surname") == "Revenu", 30),
          open(log_path).read()[-2000:])
    serve.send_signal(signal.SIGTERM)
    try:
        rc = serve.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    check("serve: stops cleanly on SIGTERM (the sync thread joined)", rc == 0, open(log_path).read()[-2000:])


def main():
    if not os.path.exists(MSSGW):
        print("not ok - mssgw binary not found at " + MSSGW)
        return 1
    if not shutil.which("slapd") and not os.path.exists("/usr/sbin/slapd"):
        print("not ok - slapd is not installed (scripts/install-deps.sh)")
        return 1
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin"
    try:
        test_extraction()
        pki = os.path.join(tmp, "pki")
        r = run(["bash", os.path.join(SRC, "deploy/pki/make-test-pki.sh"), pki])
        if r.returncode != 0:
            not_ok("test PKI generated", r.stderr)
            pki = None
        test_ldap(pki)
    except Exception as e:  # a harness failure is a failed check, with its reason
        import traceback
        not_ok("harness", traceback.format_exc())
    finally:
        cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: (cleanup(), sys.exit(130)))
    sys.exit(main())
