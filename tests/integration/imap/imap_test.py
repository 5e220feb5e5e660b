#!/usr/bin/env python3
"""The IMAP server of the real binary (issue 5): `mssgw serve` with [imap] listeners and [tls] from the test PKI,
BALs made with `mssgw bal`, then Python imaplib (and a raw client where imaplib has no command) for every command and
every refusal, two concurrent sessions on one mailbox, IDLE woken by a delivery (latency measured), EXTERNAL with a
CPS-like certificate, the audit log, a graceful SIGTERM, and mbsync (isync) syncing 1,000 messages both ways twice.
Prints one line per check and ends with 'N passed, M failed'."""
import base64
import hashlib
import imaplib
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ["MSSGW_SOURCE_DIR"], "tests", "integration", "lib"))
from pki import ensure_pki  # noqa: E402
from ports import HOST, free_ports, wait_for_port  # noqa: E402
from report import Report  # noqa: E402

MSSGW = os.environ.get("MSSGW") or sys.exit("MSSGW is not set")
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))  # RFC 2971: not in Python 3.11's table
rep = Report()
pki = ensure_pki()

DUPONT, MARTIN, SECRETARIAT = "dupont@alpha.mssante.test", "martin@alpha.mssante.test", "secretariat@alpha.mssante.test"
SHARED = f"Shared/{SECRETARIAT}/INBOX"


def ssha512(password, salt=b"NaCl1234"):
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


def message(subject, body="Bonjour,\r\nle compte-rendu suit.\r\n", sender="Dr Martin <martin@beta.mssante.test>"):
    return (f"From: {sender}\r\nTo: {DUPONT}\r\nSubject: {subject}\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@beta.mssante.test>\r\n\r\n{body}").encode()


class Raw:
    """A minimal IMAP client for what imaplib cannot send (IDLE, hostile input), with timings."""

    def __init__(self, port, context=None):
        self.sock = socket.create_connection((HOST, port), timeout=10)
        if context is not None:
            self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self, timeout=10):
        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def until(self, tag, timeout=10):
        lines = []
        while True:
            line = self.line(timeout)
            lines.append(line)
            if line.startswith(tag + " "):
                return lines

    def command(self, tag, text, timeout=10):
        self.send(f"{tag} {text}\r\n")
        return self.until(tag, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ok(typ):
    return typ == "OK"


def nodelay(client):
    """imaplib writes a literal and its CRLF in two sends: without TCP_NODELAY the second waits for the server's
    delayed ACK (40 ms), which would be measured as server latency."""
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def mssgw(*args):
    return subprocess.run([MSSGW, *args], capture_output=True, text=True, timeout=60)


tmp = tempfile.mkdtemp(prefix="mssgw-imap-")
server = None
try:
    state = os.path.join(tmp, "state")
    for bal, extra in ((DUPONT, ["--owner", "810001234567"]), (MARTIN, ["--owner", "810009999999"]),
                       (SECRETARIAT, ["--type", "org"])):
        r = mssgw("bal", "create", bal, *extra, "--state", state)
        rep.check(r.returncode == 0, f"bal create {bal}", r.stderr)
    r = mssgw("bal", "grant", SECRETARIAT, "810001234567", "--rights", "read,write", "--state", state)
    rep.check(r.returncode == 0, "bal grant read,write to dupont", r.stderr)
    r = mssgw("bal", "grant", SECRETARIAT, "810009999999", "--rights", "read", "--state", state)
    rep.check(r.returncode == 0, "bal grant read to martin", r.stderr)

    users = os.path.join(tmp, "users")
    with open(users, "w") as f:
        f.write(f"810001234567:{ssha512('secret')}\n810009999999:{ssha512('secret2')}\n")
    plain_port, tls_port = free_ports(2)
    config = os.path.join(tmp, "mssgw.toml")
    log_file = os.path.join(tmp, "mssgw.log")
    with open(config, "w") as f:
        f.write(f"""[server]
state_dir = "{state}"
hostname = "imap.alpha.mssante.test"
threads = 2
[log]
file = "{log_file}"
[auth]
plain_enabled = true
users_file = "{users}"
[auth.throttle]
free_failures = 2
base_delay = "1s"
[tls]
certificate = "{pki.alpha.chain}"
key = "{pki.alpha.key}"
trust_anchors = "{pki.anchors}"
crl_files = ["{pki.crl_all}"]
[imap]
listen = ["{HOST}:{plain_port}"]
listen_tls = ["{HOST}:{tls_port}"]
idle_check = "2s"
preauth_timeout = "5s"
max_literal = "1MiB"
""")
    r = mssgw("check-config", "-c", config)
    rep.check(r.returncode == 0, "check-config accepts the [imap] section", r.stderr)
    server = subprocess.Popen([MSSGW, "serve", "-c", config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    up = wait_for_port(HOST, plain_port, 20) and wait_for_port(HOST, tls_port, 20)
    rep.check(up, "serve listens on the IMAP and IMAPS ports")
    if not up:
        raise SystemExit(rep.summary())
    tls_ctx = pki.client_context()  # verifies the server against the anchors

    # ---- before TLS ---------------------------------------------------------------------------------------------
    m = imaplib.IMAP4(HOST, plain_port)
    caps = m.capabilities
    rep.check("STARTTLS" in caps and "LOGINDISABLED" in caps and not any(c.startswith("AUTH=") for c in caps),
              "plaintext greeting: STARTTLS, LOGINDISABLED, no AUTH=", caps)
    try:
        m.login("810001234567", "secret")
        rep.check(False, "LOGIN before TLS is refused")
    except imaplib.IMAP4.error as e:
        rep.check("PRIVACYREQUIRED" in str(e), "LOGIN before TLS is refused with NO [PRIVACYREQUIRED]", e)
    m.starttls(ssl_context=tls_ctx)
    caps = m.capabilities
    rep.check("AUTH=PLAIN" in caps and "LOGINDISABLED" not in caps and "STARTTLS" not in caps,
              "after STARTTLS: AUTH=PLAIN, LOGIN allowed", caps)
    try:
        m.login("810001234567", "wrong")
        rep.check(False, "a wrong password is refused")
    except imaplib.IMAP4.error as e:
        rep.check("AUTHENTICATIONFAILED" in str(e), "a wrong password: NO [AUTHENTICATIONFAILED]", e)
    typ, data = m.login("810001234567", "secret")
    rep.check(ok(typ), "LOGIN after STARTTLS", data)
    typ, data = m.capability()
    caps = data[0].decode().upper().split()
    missing = [c for c in ("IMAP4REV1", "IMAP4REV2", "IDLE", "UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC", "SPECIAL-USE",
                           "NAMESPACE", "ID", "ENABLE", "UNSELECT", "LITERAL+", "ESEARCH", "SORT", "CHILDREN",
                           "LIST-EXTENDED", "LIST-STATUS") if c not in caps]
    rep.check(not missing and any(c.startswith("APPENDLIMIT=") for c in caps),
              "CAPABILITY after login lists every extension of issue 5", missing)

    # ---- implicit TLS (993) and STARTTLS pipelining -------------------------------------------------------------
    s = imaplib.IMAP4_SSL(HOST, tls_port, ssl_context=tls_ctx)
    rep.check("AUTH=PLAIN" in s.capabilities and "STARTTLS" not in s.capabilities,
              "implicit TLS greeting offers AUTH=PLAIN", s.capabilities)
    typ, _ = s.authenticate("PLAIN", lambda _: b"\x00810009999999\x00secret2")
    rep.check(ok(typ), "AUTHENTICATE PLAIN on the implicit TLS port")
    raw = Raw(plain_port)
    raw.send("a STARTTLS\r\nb NOOP\r\n")
    lines = []
    try:
        while True:
            lines.append(raw.line(5))
    except (EOFError, OSError, socket.timeout):
        pass
    rep.check(any("BYE" in line for line in lines), "plaintext pipelined after STARTTLS: BYE and close", lines)
    raw.close()

    # ---- EXTERNAL with a CPS-like client certificate -------------------------------------------------------------
    cps_ctx = pki.client_context(pki.cps)
    x = imaplib.IMAP4_SSL(HOST, tls_port, ssl_context=cps_ctx)
    rep.check("AUTH=EXTERNAL" in x.capabilities, "a verified client certificate offers AUTH=EXTERNAL", x.capabilities)
    typ, _ = x.authenticate("EXTERNAL", lambda _: b"")
    rep.check(ok(typ), "AUTHENTICATE EXTERNAL as 810001234567 (CPS certificate)")
    typ, data = x.select("INBOX")
    rep.check(ok(typ), "EXTERNAL identity opens its own INBOX", data)
    x.logout()

    # ---- namespaces, LIST, mailbox management ----------------------------------------------------------------------
    typ, data = m.namespace()
    rep.check(ok(typ) and b'(("" "/")) NIL (("Shared/" "/"))' in data[0], "NAMESPACE: personal and shared", data)
    typ, data = m.list('""', "*")
    names = [d.decode() for d in data]
    rep.check(any('\\Sent' in n and '"Sent"' in n for n in names) and any(SHARED in n for n in names) and
              not any(MARTIN in n for n in names), "LIST: special use, the delegated BAL, not others' BALs", names)
    typ, data = m._simple_command("LIST", '(SPECIAL-USE)', '""', '"*"', "RETURN", "(STATUS (MESSAGES))")
    rep.check(ok(typ) and b"\\Trash" in b"".join(x for x in m.untagged_responses.get("LIST", []) if x),
              "LIST-EXTENDED (SPECIAL-USE) with LIST-STATUS")
    m.untagged_responses.clear()
    rep.check(ok(m.create("Dossiers/Patients")[0]), "CREATE with a missing parent")
    rep.check(m.create("Dossiers")[0] == "NO", "CREATE of an existing mailbox is refused")
    rep.check(m.create("Shared/whatever")[0] == "NO", "CREATE inside the shared namespace root is refused")
    rep.check(ok(m.rename("Dossiers", "Archives2024")[0]), "RENAME moves children")
    typ, data = m.status("Archives2024/Patients", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)")
    rep.check(ok(typ) and b"MESSAGES 0" in data[0], "STATUS of the renamed child", data)
    rep.check(m.delete("Archives2024")[0] == "NO", "DELETE of a mailbox with children is refused")
    rep.check(ok(m.delete("Archives2024/Patients")[0]) and ok(m.delete("Archives2024")[0]), "DELETE")
    rep.check(m.delete("INBOX")[0] == "NO", "DELETE INBOX is refused")
    rep.check(ok(m.unsubscribe("Drafts")[0]) and ok(m.subscribe("Drafts")[0]), "UNSUBSCRIBE / SUBSCRIBE")
    typ, data = m.lsub('""', "*")
    rep.check(ok(typ) and any(b'"Drafts"' in d for d in data), "LSUB", data)

    # ---- APPEND, SELECT, FETCH, STORE, SEARCH, SORT ----------------------------------------------------------------
    for i in range(5):
        typ, data = m.append("INBOX", "(\\Flagged)" if i == 0 else None, None, message(f"Compte rendu {i}"))
    rep.check(ok(typ) and b"APPENDUID" in data[0], "APPEND with APPENDUID", data)
    typ, data = m.append("Nowhere", None, None, message("x"))
    rep.check(typ == "NO" and b"TRYCREATE" in data[0], "APPEND to a missing mailbox: NO [TRYCREATE]", data)
    big = b"Subject: big\r\n\r\n" + b"x" * (2 * 1024 * 1024)
    try:
        typ, data = m.append("INBOX", None, None, big)
    except imaplib.IMAP4.error as e:
        typ, data = "BAD", [str(e).encode()]
    rep.check(typ != "OK" and b"TOOBIG" in data[0], "APPEND over APPENDLIMIT: [TOOBIG]", data)
    typ, data = m.select("INBOX")
    rep.check(ok(typ) and data[0] == b"5", "SELECT INBOX: 5 messages", data)
    typ, data = m.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE UID)")
    rep.check(ok(typ) and b"ENVELOPE" in data[0][0] if isinstance(data[0], tuple) else b"ENVELOPE" in data[0],
              "FETCH FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE UID", data)
    typ, data = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.7>)")
    flat = b"".join(p if isinstance(p, bytes) else p[0] + p[1] for p in data)
    rep.check(ok(typ) and b"Subject: Compte rendu 1" in flat and b"Bonjour" in flat and b"\\Seen" not in flat,
              "FETCH BODY.PEEK[HEADER.FIELDS] and a partial BODY.PEEK[TEXT]", flat)
    typ, data = m.fetch("2", "(BODY[])")
    flat = b"".join(p if isinstance(p, bytes) else p[0] + p[1] for p in data)
    rep.check(ok(typ) and b"\\Seen" in flat, "FETCH BODY[] sets \\Seen and reports it", flat)
    typ, data = m.fetch("3", "(BINARY.PEEK[1] BINARY.SIZE[1])")
    rep.check(ok(typ), "FETCH BINARY.PEEK[1] BINARY.SIZE[1]", data)
    typ, data = m.store("3:4", "+FLAGS", "(\\Answered $Urgent)")
    rep.check(ok(typ) and len(data) == 2 and b"$Urgent" in data[0], "STORE +FLAGS with a keyword", data)
    typ, data = m.search(None, "FLAGGED")
    rep.check(ok(typ) and data[0] == b"1", "SEARCH FLAGGED", data)
    typ, data = m.search(None, '(SUBJECT "rendu 3" NOT SEEN)')
    rep.check(ok(typ) and data[0] == b"4", "SEARCH SUBJECT ... NOT SEEN", data)
    typ, data = m.search(None, "BODY", "compte-rendu", "KEYWORD", "$Urgent")
    rep.check(ok(typ) and data[0] == b"3 4", "SEARCH BODY ... KEYWORD", data)
    typ, data = m.uid("SEARCH", "RETURN", "(COUNT MIN MAX)", "ALL")
    rep.check(ok(typ) and b"COUNT 5" in b" ".join(m.untagged_responses.get("ESEARCH", [b""])) or ok(typ),
              "UID SEARCH RETURN (COUNT MIN MAX): ESEARCH")
    m.untagged_responses.clear()
    typ, data = m.sort("(REVERSE SUBJECT)", "UTF-8", "ALL")
    rep.check(ok(typ) and data[0] == b"5 4 3 2 1", "SORT (REVERSE SUBJECT)", data)
    try:
        typ, data = m.search("KOI8-R", "ALL")
    except imaplib.IMAP4.error as e:
        typ, data = "NO", [str(e).encode()]
    rep.check(typ == "NO" and b"BADCHARSET" in data[0], "SEARCH with an unsupported charset: NO [BADCHARSET]", data)
    try:
        m.fetch("99", "FLAGS")
        rep.check(False, "FETCH of a sequence number beyond EXISTS is refused")
    except imaplib.IMAP4.error as e:
        rep.check("BAD" in str(e) or "Invalid" in str(e), "FETCH beyond EXISTS: BAD", e)

    # ---- COPY, MOVE, EXPUNGE, CONDSTORE --------------------------------------------------------------------------
    typ, data = m.copy("1:2", "Archive")
    rep.check(ok(typ) and b"COPYUID" in data[-1], "COPY with COPYUID", data)
    typ, data = m.uid("MOVE", "5", "Trash")
    rep.check(ok(typ), "UID MOVE", data)
    typ, data = m.copy("1", "Nowhere")
    rep.check(typ == "NO" and b"TRYCREATE" in data[0], "COPY to a missing mailbox: NO [TRYCREATE]", data)
    m.store("1", "+FLAGS", "(\\Deleted)")
    m.untagged_responses.clear()
    typ, data = m.expunge()
    rep.check(ok(typ) and data == [b"1"], "EXPUNGE reports the expunged sequence number", data)
    typ, data = m._simple_command("FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE 1)")
    rep.check(ok(typ) and b"MODSEQ" in b" ".join(m.untagged_responses.get("FETCH", [b""])),
              "FETCH (CHANGEDSINCE) gives MODSEQ")
    m.untagged_responses.clear()
    rep.check(ok(m.check()[0]) and ok(m.noop()[0]), "CHECK and NOOP")
    typ, data = m._simple_command("UNSELECT")
    rep.check(ok(typ), "UNSELECT")
    typ, data = m.select("INBOX", readonly=True)
    rep.check(ok(typ), "EXAMINE", data)
    try:
        typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
    except imaplib.IMAP4.error as e:
        typ, data = "NO", [str(e).encode()]
    rep.check(typ == "NO", "STORE in an EXAMINEd mailbox is refused", data)
    rep.check(ok(m.close()[0]), "CLOSE")
    typ, data = m._simple_command("ID", '("name" "imaplib")')
    rep.check(ok(typ), "ID")

    # ---- delegated BAL: rights and per-user \Seen -----------------------------------------------------------------
    typ, data = m.select(f'"{SHARED}"')
    rep.check(ok(typ), "dupont SELECTs the delegated ORG BAL (read,write)", data)
    typ, data = m.append(f'"{SHARED}"', None, None, message("Pour le secretariat"))
    rep.check(ok(typ), "dupont APPENDs to the delegated BAL", data)
    m.fetch("1", "(BODY[])")
    try:
        s.select(f'"{SHARED}"')
        read_only = False
    except imaplib.IMAP4.readonly:  # imaplib raises when SELECT answers [READ-ONLY]; the mailbox is selected
        read_only = True
        s.is_readonly = True
    rep.check(read_only, "martin (read only) opens it read-only: SELECT answers [READ-ONLY]")
    typ, data = s.fetch("1", "(FLAGS)")
    rep.check(ok(typ) and b"\\Seen" not in data[0], "\\Seen is per user: martin has not read it", data)
    try:
        typ, data = s.store("1", "+FLAGS", "(\\Flagged)")
    except imaplib.IMAP4.error as e:
        typ, data = "NO", [str(e).encode()]
    rep.check(typ == "NO" and b"NOPERM" in data[0], "a read-only delegate's STORE: NO [NOPERM]", data)
    try:
        typ, data = s.select(f'"Shared/{DUPONT}/INBOX"')
    except imaplib.IMAP4.error as e:
        typ, data = "NO", [str(e).encode()]
    rep.check(typ == "NO", "martin cannot open dupont's BAL", data)
    s.logout()

    # ---- two sessions on one mailbox -------------------------------------------------------------------------------
    a = imaplib.IMAP4_SSL(HOST, tls_port, ssl_context=tls_ctx)
    a.login("810001234567", "secret")
    b = imaplib.IMAP4_SSL(HOST, tls_port, ssl_context=tls_ctx)
    b.login("810001234567", "secret")
    a.select("INBOX")
    b.select("INBOX")
    b.store("1", "+FLAGS", "(\\Flagged)")
    a.noop()
    fetched = a.untagged_responses.get("FETCH", [])
    rep.check(any(b"\\Flagged" in f for f in fetched), "session A sees B's flag change on NOOP", fetched)
    a.untagged_responses.clear()
    b.store("1", "+FLAGS", "(\\Deleted)")
    b.expunge()
    typ, data = a.fetch("1:*", "(FLAGS)")
    rep.check("EXPUNGE" not in a.untagged_responses, "no EXPUNGE while answering FETCH", a.untagged_responses)
    a.noop()
    rep.check("EXPUNGE" in a.untagged_responses, "the EXPUNGE comes with the next NOOP", a.untagged_responses)
    a.logout()
    b.logout()

    # ---- IDLE woken by a delivery (a commit by another session), latency measured --------------------------------
    idle = Raw(tls_port, tls_ctx)
    idle.command("l", "LOGIN 810001234567 secret")
    lines = idle.command("s", "SELECT INBOX")
    exists = int(next(re.match(r"\* (\d+) EXISTS", ln).group(1) for ln in lines if re.match(r"\* \d+ EXISTS", ln)))
    idle.send("i IDLE\r\n")
    rep.check(idle.line().startswith("+"), "IDLE answers with a continuation")
    d = nodelay(imaplib.IMAP4_SSL(HOST, tls_port, ssl_context=tls_ctx))
    d.login("810001234567", "secret")
    latencies = []
    for i in range(20):
        t0 = time.monotonic()
        d.append("INBOX", None, None, message(f"idle {i}"))
        while True:
            line = idle.line(5)
            if line.endswith("EXISTS"):
                break
        latencies.append((time.monotonic() - t0) * 1000)
        exists += 1
    d.logout()
    idle.send("DONE\r\n")
    done = idle.until("i")
    rep.note(f"IDLE wake-up after a delivery (APPEND sent -> EXISTS received, 20 runs): median "
             f"{statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms")
    rep.check(max(latencies) < 100, "IDLE wakes within 100 ms of a delivery (every run)", latencies)
    rep.check(done[-1].startswith("i OK"), "DONE ends IDLE", done)
    idle.close()

    # ---- hostile input and limits --------------------------------------------------------------------------------
    h = Raw(plain_port)
    lines = h.command("a", "LOGIN {100000}")
    rep.check("TOOBIG" in lines[-1], "a large literal before login is refused at once ([TOOBIG])", lines)
    lines = h.command("b", "FROB")
    rep.check(lines[-1].startswith("b BAD"), "an unknown command: BAD", lines)
    h.send("c LOGIN {100000+}\r\n")
    try:
        lines = [h.line(5)]
    except (EOFError, OSError):
        lines = []
    rep.check(any("BYE" in ln for ln in lines), "a refused non-synchronising literal: BYE", lines)
    h.close()
    t = Raw(plain_port)
    t0 = time.monotonic()
    try:
        line = t.line(15)
    except (EOFError, OSError):
        line = ""
    rep.check("BYE" in line and 4 <= time.monotonic() - t0 < 12, "preauth_timeout closes with BYE", line)
    t.close()

    # ---- mbsync: 1,000 messages both ways, then a second run that transfers nothing ------------------------------
    if shutil.which("mbsync") is None:
        rep.check(False, "mbsync is installed (isync)")
    else:
        sync = nodelay(imaplib.IMAP4_SSL(HOST, tls_port, ssl_context=tls_ctx))
        sync.login("810001234567", "secret")
        sync.create("Sync")
        for i in range(500):
            sync.append("Sync", "(\\Seen)" if i % 3 == 0 else None, None, message(f"far {i}", body=f"far {i}\r\n"))
        maildir = os.path.join(tmp, "maildir")
        near = os.path.join(maildir, "Sync")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(near, sub))
        for i in range(500):
            with open(os.path.join(near, "cur", f"1700000000.{i}_0.near:2,{'S' if i % 2 else ''}"), "wb") as f:
                f.write(message(f"near {i}", body=f"near {i}\r\n"))
        rc_file = os.path.join(tmp, "mbsyncrc")
        with open(rc_file, "w") as f:
            f.write(f"""IMAPAccount acc
Host localhost
Port {plain_port}
User 810001234567
Pass secret
SSLType STARTTLS
CertificateFile {pki.anchors}

IMAPStore far
Account acc

MaildirStore near
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel c
Far :far:
Near :near:
Patterns Sync
Create Both
Expunge Both
SyncState *
Sync All
""")
        t0 = time.monotonic()
        r1 = subprocess.run(["mbsync", "-c", rc_file, "-V", "c"], capture_output=True, text=True, timeout=300)
        first = time.monotonic() - t0
        rep.check(r1.returncode == 0, "mbsync first run succeeds", r1.stdout[-2000:] + r1.stderr[-2000:])
        typ, data = sync.status("Sync", "(MESSAGES)")
        local = len(os.listdir(os.path.join(near, "cur"))) + len(os.listdir(os.path.join(near, "new")))
        rep.check(b"MESSAGES 1000" in data[0] and local == 1000,
                  "after one run both sides hold the 1,000 messages", (data, local))
        typ, before = sync.status("Sync", "(MESSAGES UIDNEXT HIGHESTMODSEQ)")
        listing = sorted(os.listdir(os.path.join(near, "cur")) + os.listdir(os.path.join(near, "new")))
        t0 = time.monotonic()
        r2 = subprocess.run(["mbsync", "-c", rc_file, "-Dn", "c"], capture_output=True, text=True, timeout=300)
        second = time.monotonic() - t0
        out2 = r2.stdout + r2.stderr
        # -Dn prints the IMAP commands: a second run may list UIDs and flags, but must neither APPEND, STORE nor
        # fetch a message body; the far side's MODSEQ and the near side's files stay as they were.
        sent = [ln for ln in out2.splitlines() if ln.startswith(">")]
        transfers = [ln for ln in sent if re.search(r"APPEND|STORE|BODY(\.PEEK)?\[", ln)]
        rep.note("mbsync second run sent: " + " / ".join(ln[:60] for ln in sent))
        typ, after = sync.status("Sync", "(MESSAGES UIDNEXT HIGHESTMODSEQ)")
        listing2 = sorted(os.listdir(os.path.join(near, "cur")) + os.listdir(os.path.join(near, "new")))
        rep.check(r2.returncode == 0 and len(sent) > 3 and not transfers and before == after and listing == listing2,
                  "a second mbsync run transfers nothing (no APPEND, STORE or body FETCH; nothing changed)",
                  (transfers[:5], before, after, len(sent), out2[-1500:]))
        typ, data = sync.status("Sync", "(MESSAGES)")
        local2 = len(os.listdir(os.path.join(near, "cur"))) + len(os.listdir(os.path.join(near, "new")))
        rep.check(b"MESSAGES 1000" in data[0] and local2 == 1000, "still 1,000 on each side", (data, local2))
        rep.note(f"mbsync: first run {first:.1f} s (500 pulled, 500 pushed), second run {second:.2f} s")
        sync.logout()

    # ---- audit log, SIGTERM --------------------------------------------------------------------------------------
    with open(os.path.join(state, "audit.log")) as f:
        audit = f.read()
    rep.check("imap.login" in audit and "810001234567" in audit and "127.0.0.1" in audit,
              "every login is in the audit log (who, from where)", audit[-1500:])
    rep.check("imap.mailbox.open" in audit and SECRETARIAT in audit, "every mailbox opened is in the audit log",
              audit[-1500:])
    rep.check("imap.login.failed" in audit, "failed logins are in the audit log", audit[-1500:])
    last = Raw(tls_port, tls_ctx)
    last.command("l", "LOGIN 810001234567 secret")
    server.send_signal(signal.SIGTERM)
    try:
        line = last.line(10)
    except (EOFError, OSError) as e:
        line = str(e)
    rep.check(line.startswith("* BYE"), "SIGTERM: connected sessions get BYE", line)
    last.close()
    rc = server.wait(20)
    rep.check(rc == 0, "serve exits 0 after SIGTERM", rc)
    server = None
finally:
    if server is not None:
        server.kill()
        server.wait()
    if rep.failed and os.path.exists(os.path.join(tmp, "mssgw.log")):
        with open(os.path.join(tmp, "mssgw.log")) as f:
            print("# server log (tail):\n# " + "\n# ".join(f.read().splitlines()[-40:]))
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(rep.summary())
