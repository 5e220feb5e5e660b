#!/usr/bin/env python3
"""The SMTP server and queue of the real binary (issue 4), with real peers on 127.0.0.1:

- two `mssgw serve` instances acting as the operators alpha and beta (own certificates, domains, state), exchanging
  mail both ways over mutual TLS, through submission on one side and the MX on the other;
- a private Postfix acting as the operator gamma (its own operator certificate, mandatory TLS both ways), sending to
  alpha and receiving from it;
- every refusal of the MX and of submission, with its reply code;
- durability: messages that got 250 survive `kill -9` of the server in the middle of a stream, and a restart.

Mailboxes are read back over IMAP (imaplib), the way a professional sees them. Prints one line per check and ends
with 'N passed, M failed'."""
import base64
import concurrent.futures
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ["MSSGW_SOURCE_DIR"], "tests", "integration", "lib"))
from pki import ensure_pki  # noqa: E402
from ports import HOST, free_ports, wait_for_port  # noqa: E402
from mssgw_instance import MssgwOperator  # noqa: E402
from postfix_peer import PostfixPeer  # noqa: E402
from smtp_client import make_message, smtp_send  # noqa: E402
from report import Report  # noqa: E402

MSSGW = os.environ.get("MSSGW") or sys.exit("MSSGW is not set")
rep = Report()
pki = ensure_pki()

DUPONT, DUPONT_ID = "dupont@alpha.mssante.test", "810001234567"
MARTIN, MARTIN_ID = "martin@beta.mssante.test", "810009999999"
DURAND = "durand@gamma.mssante.test"
PASSWORD = {DUPONT_ID: "secret-dupont", MARTIN_ID: "secret-martin"}


def plain(idnat):
    return ("PLAIN", f"\0{idnat}\0{PASSWORD[idnat]}".encode())


def Operator(name, root, bals, routes):
    return MssgwOperator(rep, MSSGW, pki, name, root, bals=bals, passwords=PASSWORD)


def run(*args):
    return subprocess.run([MSSGW, *args], capture_output=True, text=True, timeout=60)


class TokenIssuer:
    """A stand-in for Pro Santé Connect: an RSA key made with openssl, its JWK Set, and RS256 access tokens signed
    with `openssl dgst` (no Python JWT library needed). `forger()` gives an issuer with another key, same kid."""

    ISSUER = "https://psc.test/auth/realms/esante-wallet"
    AUDIENCE = "mssgw-test"

    def __init__(self, directory, name="psc"):
        self.key = os.path.join(directory, f"{name}.key")
        subprocess.run(["openssl", "genrsa", "-out", self.key, "2048"], check=True, capture_output=True)
        modulus = subprocess.run(["openssl", "rsa", "-in", self.key, "-noout", "-modulus"], check=True,
                                 capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        self.jwks = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                               "n": b64url(bytes.fromhex(modulus)), "e": "AQAB"}]}
        self.directory = directory

    def write_jwks(self):
        path = os.path.join(self.directory, "jwks.json")
        with open(path, "w") as f:
            json.dump(self.jwks, f)
        return path

    def token(self, idnat, *, lifetime=120, audience=AUDIENCE, issuer=ISSUER):
        now = int(time.time())
        header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
        claims = b64url(json.dumps({"iss": issuer, "aud": audience, "sub": idnat, "iat": now - 5,
                                    "exp": now + lifetime}).encode())
        signing_input = f"{header}.{claims}".encode()
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input,
                                   check=True, capture_output=True).stdout
        return f"{header}.{claims}.{b64url(signature)}"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def xoauth2(idnat, token):
    return ("XOAUTH2", f"user={idnat}\x01auth=Bearer {token}\x01\x01".encode())


def oauthbearer(token):
    return ("OAUTHBEARER", f"n,,\x01auth=Bearer {token}\x01\x01".encode())


def subject_is(subject):
    return lambda msg: f"Subject: {subject}\r\n".encode() in msg


def raw_dialog(port, lines, context=None, starttls=False):
    """Sends lines one by one on a raw socket and returns every reply (for what smtplib will not send)."""
    sock = socket.create_connection((HOST, port), timeout=10)
    f = sock.makefile("rb")

    def reply():
        text = b""
        while True:
            line = f.readline()
            if not line:
                return text.decode(errors="replace")
            text += line
            if len(line) < 4 or line[3:4] != b"-":
                return text.decode(errors="replace")

    replies = [reply()]
    try:
        if starttls:
            sock.sendall(b"EHLO t.test\r\n")
            replies.append(reply())
            sock.sendall(b"STARTTLS\r\n")
            replies.append(reply())
            sock = context.wrap_socket(sock, server_hostname="localhost")
            f = sock.makefile("rb")
        for line in lines:
            sock.sendall(line)
            replies.append(reply())
    except OSError as e:
        replies.append(f"error: {e}")
    sock.close()
    return replies


tmp = tempfile.mkdtemp(prefix="mssgw-smtp-")
alpha = beta = gamma = None
try:
    alpha = Operator("alpha", tmp, [(DUPONT, DUPONT_ID), ("secretariat@alpha.mssante.test", DUPONT_ID)], {})
    beta = Operator("beta", tmp, [(MARTIN, MARTIN_ID)], {})
    gamma = PostfixPeer(pki, "gamma", mailboxes=[DURAND],
                        routes={"alpha.mssante.test": (HOST, alpha.mx_port, "mx.alpha.mssante.test")})
    gamma.start()
    psc = TokenIssuer(tmp)
    forger = TokenIssuer(tmp, "forger")
    alpha.write_config({"beta.mssante.test": beta.mx_port, "gamma.mssante.test": gamma.mx_port},
                       auth_extra=f'jwks_file = "{psc.write_jwks()}"\nissuer = "{TokenIssuer.ISSUER}"\n'
                                  f'audience = "{TokenIssuer.AUDIENCE}"\n'
                                  # the refusal tests fail on purpose: no throttling delay (tested by unit_auth)
                                  '[auth.throttle]\nfree_failures = 100\n')
    beta.write_config({"alpha.mssante.test": alpha.mx_port})
    alpha.start()
    beta.start()

    anchors_only = pki.client_context()
    as_gamma = pki.client_context(pki.gamma)
    as_beta = pki.client_context(pki.beta)

    # ---- MX: the dialog and its refusals ------------------------------------------------------------------------
    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT], make_message(DURAND, DUPONT), starttls=False)
    rep.check(r.stage == "mail" and r.code == 530 and "5.7.0" in r.text, "MX: MAIL before STARTTLS is 530 5.7.0", r)
    conn = smtplib.SMTP(HOST, alpha.mx_port, local_hostname="t.test", timeout=10)
    conn.ehlo()
    features = set(conn.esmtp_features)
    conn.quit()
    wanted = {"pipelining", "size", "8bitmime", "enhancedstatuscodes", "dsn", "starttls"}
    rep.check(wanted <= features, "MX: EHLO advertises PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, DSN, STARTTLS",
              sorted(features))
    sock = socket.create_connection((HOST, alpha.mx_port), timeout=3)
    sock.sendall(b"EHLO t.test\r\nSTARTTLS\r\nMAIL FROM:<x@gamma.mssante.test>\r\n")
    seen = b""
    try:
        while chunk := sock.recv(4096):
            seen += chunk
    except OSError:
        pass
    sock.close()
    rep.check(b"554 5.5.1" in seen and b"2.1.0" not in seen,
              "MX: plaintext pipelined behind STARTTLS is refused (554 5.5.1) and never executed", seen.decode(errors="replace")[-300:])
    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT], make_message(DURAND, DUPONT), context=anchors_only)
    rep.check(not r.accepted and r.stage in ("mail", "tls", "ehlo2") and r.code in (0, 530, 550, 554)
              or (r.code // 100 == 5 and r.stage == "mail"),
              "MX: a peer without a client certificate cannot send", r)
    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT], make_message(DURAND, DUPONT),
                  context=pki.client_context(pki.rogue))
    rep.check(not r.accepted, "MX: the alpha impostor from a rogue CA is refused", r)
    r = smtp_send(HOST, alpha.mx_port, "x@revoked.mssante.test", [DUPONT], make_message(DURAND, DUPONT),
                  context=pki.client_context(pki.revoked))
    rep.check(not r.accepted, "MX: a revoked certificate (CRL) is refused", r)
    r = smtp_send(HOST, alpha.mx_port, "x@expired.mssante.test", [DUPONT], make_message(DURAND, DUPONT),
                  context=pki.client_context(pki.expired))
    rep.check(not r.accepted, "MX: an expired certificate is refused", r)
    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT], make_message(DURAND, DUPONT), context=as_beta)
    rep.check(r.stage == "mail" and r.code // 100 == 5 and "5.7" in r.text,
              "MX: beta's certificate sending as gamma.mssante.test is refused at MAIL (5.7.x)", r)
    r = smtp_send(HOST, alpha.mx_port, "x@outside.example", [DUPONT], make_message(DURAND, DUPONT), context=as_gamma)
    rep.check(r.stage == "mail" and r.code // 100 == 5, "MX: a sender domain outside the whitelist is refused", r)
    r = smtp_send(HOST, alpha.mx_port, DURAND, ["nobody@alpha.mssante.test"], make_message(DURAND, DUPONT),
                  context=as_gamma)
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.1.1" in r.text, "MX: an unknown BAL is 550 5.1.1", r)
    r = smtp_send(HOST, alpha.mx_port, DURAND, [MARTIN], make_message(DURAND, MARTIN), context=as_gamma)
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.7.1" in r.text, "MX: no relay to another operator (5.7.1)",
              r)
    too_many = [f"u{i}@alpha.mssante.test" for i in range(7)]
    for address in too_many:
        run("bal", "create", address, "--owner", DUPONT_ID, "--state", alpha.state)  # beside the running server
    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT] + too_many,
                  make_message(DURAND, DUPONT, subject="recipient limit"), context=as_gamma)
    rep.check(any(code == 452 or (code // 100 == 4 and "4.5.3" in text) for code, text in r.refused_rcpts.values()),
              "MX: recipients over max_recipients get 452 4.5.3", r.refused_rcpts)
    big = make_message(DURAND, DUPONT, subject="too big", size=3 * 1024 * 1024)
    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT], big, context=as_gamma)
    rep.check(not r.accepted and r.code == 552, "MX: a message over max_message_size is 552", r)
    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT], big, context=as_gamma, mail_options=["SIZE=3145728"])
    rep.check(r.stage == "mail" and r.code == 552, "MX: SIZE= over the limit is refused at MAIL", r)

    # Smuggling: a bare LF dot must not end the data (RFC 5321 §4.1.1.4, the 2023 smuggling attacks).
    ctx = as_gamma
    smuggle = (b"From: <durand@gamma.mssante.test>\r\nTo: <dupont@alpha.mssante.test>\r\nSubject: smuggle\r\n\r\n"
               b"hi\n.\nMAIL FROM:<evil@gamma.mssante.test>\r\n.\r\n")
    replies = raw_dialog(alpha.mx_port, [b"EHLO t.test\r\n", b"MAIL FROM:<durand@gamma.mssante.test>\r\n",
                                         b"RCPT TO:<dupont@alpha.mssante.test>\r\n", b"DATA\r\n", smuggle],
                         context=ctx, starttls=True)
    rep.check(not replies[-1].startswith("250") and replies[-1][:1] in ("5", "4", "e", ""),
              "MX: a bare LF '.' (smuggling) is refused, not taken as the end of data", replies[-3:])

    stored = [m.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0] for m in alpha.inbox(DUPONT_ID)]
    rep.check(stored == [b"recipient limit"],
              "nothing was stored by any refused transaction (only the recipient-limit message, accepted for dupont)",
              stored)

    # ---- MX: accepted mail from the Postfix operator (gamma), with the Received header --------------------------
    r = gamma.submit(DURAND, DUPONT, make_message(DURAND, DUPONT, subject="from postfix gamma",
                                                  headers={"X-MSS-MES": "test-value"}))
    rep.check(r.accepted, "gamma (Postfix) accepts a message for alpha on its submission port", r)
    msg = alpha.wait_for(DUPONT_ID, subject_is("from postfix gamma"), 30)
    rep.check(msg is not None, "Postfix gamma -> mssgw alpha over mutual TLS: delivered to dupont's INBOX",
              gamma.log_tail(10) + alpha.log_tail(10))
    if msg:
        received = msg.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        rep.check(re.search(r"TLSv1\.[23]", received) and "mx.gamma.mssante.test" in received,
                  "the Received header records the TLS version and the peer's DN", received[:600])
        rep.check(b"X-MSS-MES: test-value\r\n" in msg, "X-MSS-* headers are kept untouched")

    r = smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT], make_message(DURAND, DUPONT, subject="direct mx"),
                  context=as_gamma)
    rep.check(r.accepted and re.fullmatch(r"[0-9A-F]{16}", r.queue_id or ""), "MX: 250 carries the queue id", r)

    # ---- submission ---------------------------------------------------------------------------------------------
    sub = alpha.submission_port
    r = smtp_send(HOST, sub, DUPONT, [MARTIN], make_message(DUPONT, MARTIN), context=anchors_only)
    rep.check(r.stage == "mail" and r.code == 530, "submission: MAIL before AUTH is 530", r)
    r = smtp_send(HOST, sub, DUPONT, [MARTIN], make_message(DUPONT, MARTIN), starttls=False,
                  auth=plain(DUPONT_ID))
    rep.check(r.stage == "auth" and r.code // 100 in (5,) , "submission: AUTH before STARTTLS is refused", r)
    r = smtp_send(HOST, sub, DUPONT, [MARTIN], make_message(DUPONT, MARTIN), context=anchors_only,
                  auth=("PLAIN", f"\0{DUPONT_ID}\0wrong".encode()))
    rep.check(r.stage == "auth" and r.code == 535, "submission: a wrong password is 535", r)
    rep.check("wrong" not in alpha.log_text() and PASSWORD[DUPONT_ID] not in alpha.log_text(),
              "passwords never reach the log")
    r = smtp_send(HOST, sub, MARTIN, [DUPONT], make_message(MARTIN, DUPONT), context=anchors_only,
                  auth=plain(DUPONT_ID))
    rep.check(r.stage == "mail" and r.code == 553 and "5.7.1" in r.text,
              "submission: MAIL FROM a BAL the identity may not send as is 553 5.7.1", r)
    r = smtp_send(HOST, sub, DUPONT, ["someone@gmail.com"], make_message(DUPONT, "someone@gmail.com"),
                  context=anchors_only, auth=plain(DUPONT_ID))
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.7.1" in r.text and "trust space" in r.text,
              "submission: a recipient outside the trust space is 550 5.7.1", r)

    # Each SASL mechanism: PSC tokens (XOAUTH2, OAUTHBEARER), EXTERNAL with a CPS-like certificate, PLAIN (swaks).
    sent_before = len(alpha.inbox(DUPONT_ID))
    for name, mechanism in (("XOAUTH2", xoauth2(DUPONT_ID, psc.token(DUPONT_ID))),
                            ("OAUTHBEARER", oauthbearer(psc.token(DUPONT_ID)))):
        r = smtp_send(HOST, sub, DUPONT, [DUPONT], make_message(DUPONT, DUPONT, subject=f"via {name}"),
                      context=anchors_only, auth=mechanism)
        rep.check(r.accepted, f"submission: AUTH {name} with a valid Pro Santé Connect token", r)
    for what, token in (("an expired", psc.token(DUPONT_ID, lifetime=-120)),
                        ("a forged (another key)", forger.token(DUPONT_ID)),
                        ("a wrong-audience", psc.token(DUPONT_ID, audience="another-service")),
                        ("a wrong-issuer", psc.token(DUPONT_ID, issuer="https://evil.test"))):
        for name, mechanism in (("XOAUTH2", xoauth2(DUPONT_ID, token)), ("OAUTHBEARER", oauthbearer(token))):
            r = smtp_send(HOST, sub, DUPONT, [DUPONT], make_message(DUPONT, DUPONT, subject="bad token"),
                          context=anchors_only, auth=mechanism)
            rep.check(r.stage == "auth" and r.code == 535, f"submission: {what} token is refused ({name}, 535)", r)
    time.sleep(1.2)  # the log is flushed every second
    log = alpha.log_text()
    rep.check(psc.token(DUPONT_ID).split(".")[2][:20] not in log and "Bearer" not in log,
              "tokens never reach the log")
    r = smtp_send(HOST, sub, DUPONT, [DUPONT], make_message(DUPONT, DUPONT, subject="via EXTERNAL"),
                  context=pki.client_context(pki.cps), auth=("EXTERNAL", b""))
    rep.check(r.accepted, "submission: AUTH EXTERNAL with a CPS-like certificate sends as its owner's BAL", r)
    swaks = subprocess.run(["swaks", "--server", f"{HOST}:{sub}", "--tls", "--auth", "PLAIN", "--auth-user",
                            DUPONT_ID, "--auth-password", PASSWORD[DUPONT_ID], "--from", DUPONT, "--to", DUPONT,
                            "--header", "Subject: via swaks", "--timeout", "20"],
                           capture_output=True, text=True, timeout=60)
    rep.check(swaks.returncode == 0 and "queued as" in swaks.stdout, "swaks: STARTTLS + AUTH PLAIN + a message",
              swaks.stdout[-600:] + swaks.stderr[-300:])
    subjects = [m.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0] for m in alpha.inbox(DUPONT_ID)[sent_before:]]
    rep.check(sorted(subjects) == sorted([b"via XOAUTH2", b"via OAUTHBEARER", b"via EXTERNAL", b"via swaks"]),
              "exactly the authenticated messages were stored, none of the refused ones", subjects)

    # alpha -> beta (submission on alpha, queue, MX on beta), then beta -> alpha.
    r = smtp_send(HOST, sub, DUPONT, [MARTIN], make_message(DUPONT, MARTIN, subject="alpha to beta"),
                  context=anchors_only, auth=plain(DUPONT_ID))
    rep.check(r.accepted, "submission (587, STARTTLS, PLAIN): alpha accepts a message for beta", r)
    msg = beta.wait_for(MARTIN_ID, subject_is("alpha to beta"), 30)
    rep.check(msg is not None, "mssgw alpha -> mssgw beta over mutual TLS: in martin's INBOX",
              alpha.log_tail(10) + beta.log_tail(10))
    if msg:
        rep.check(b"mx.alpha.mssante.test" in msg.split(b"\r\n\r\n", 1)[0],
                  "beta's Received header names alpha's certificate")
    r = smtp_send(HOST, beta.submissions_port, MARTIN, [DUPONT], make_message(MARTIN, DUPONT, subject="beta to alpha"),
                  context=anchors_only, implicit_tls=True, starttls=False, auth=plain(MARTIN_ID),
                  server_hostname="mx.beta.mssante.test")
    rep.check(r.accepted, "submissions (465, implicit TLS): beta accepts a reply for alpha", r)
    msg = alpha.wait_for(DUPONT_ID, subject_is("beta to alpha"), 30)
    rep.check(msg is not None, "mssgw beta -> mssgw alpha: the reply is in dupont's INBOX", beta.log_tail(10))

    # alpha -> gamma (Postfix): the queue presents alpha's certificate; Postfix requires and verifies it.
    r = smtp_send(HOST, sub, DUPONT, [DURAND], make_message(DUPONT, DURAND, subject="alpha to postfix"),
                  context=anchors_only, auth=plain(DUPONT_ID))
    rep.check(r.accepted, "submission: alpha accepts a message for gamma", r)
    got = gamma.wait_for_message(DURAND, timeout=30)
    rep.check(got is not None and got["Subject"] == "alpha to postfix",
              "mssgw alpha -> Postfix gamma over mutual TLS: delivered", alpha.log_tail(10) + gamma.log_tail(10))

    # A local recipient and a remote one in one message: body stored once, INBOX + queue.
    r = smtp_send(HOST, sub, DUPONT, ["secretariat@alpha.mssante.test", MARTIN],
                  make_message(DUPONT, MARTIN, subject="local and remote"), context=anchors_only,
                  auth=plain(DUPONT_ID))
    rep.check(r.accepted and not r.refused_rcpts, "submission: local and remote recipients in one message", r)
    rep.check(beta.wait_for(MARTIN_ID, subject_is("local and remote"), 30) is not None,
              "the remote copy reaches beta")

    # A recipient that beta refuses (unknown BAL) bounces back to dupont as a DSN.
    r = smtp_send(HOST, sub, DUPONT, ["ghost@beta.mssante.test"], make_message(DUPONT, "ghost@beta.mssante.test",
                                                                                subject="to a ghost"),
                  context=anchors_only, auth=plain(DUPONT_ID))
    rep.check(r.accepted, "submission: a recipient at a whitelisted domain is queued", r)
    dsn = alpha.wait_for(DUPONT_ID, lambda m: b"multipart/report" in m and b"ghost@beta.mssante.test" in m, 30)
    rep.check(dsn is not None and b"5.1.1" in dsn, "beta's 550 5.1.1 comes back to dupont as an RFC 3464 DSN",
              alpha.log_tail(10))

    # ---- durability: kill -9 in the middle of a stream, every 250 survives -------------------------------------
    acked, stop_at = [], 40

    def send_one(i):
        return i, smtp_send(HOST, alpha.mx_port, DURAND, [DUPONT],
                            make_message(DURAND, DUPONT, subject=f"crash {i}"), context=as_gamma, timeout=10)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(send_one, i) for i in range(200)]
        for fut in concurrent.futures.as_completed(futures):
            i, res = fut.result()
            if res.accepted:
                acked.append(i)
            if len(acked) == stop_at and alpha.process is not None:
                alpha.process.send_signal(signal.SIGKILL)
                alpha.process.wait()
                alpha.process = None
    rep.check(len(acked) >= stop_at, f"kill -9 during a stream of 200 messages ({len(acked)} got 250)")
    alpha.start()
    crash_subjects = [m.split(b"Subject: crash ", 1)[1].split(b"\r\n", 1)[0].decode()
                      for m in alpha.inbox(DUPONT_ID) if b"Subject: crash " in m]
    subjects = set(crash_subjects)
    rep.note(f"crash test: {len(acked)} got 250, {len(subjects)} stored, "
             f"{len(crash_subjects) - len(subjects)} duplicates, {len(subjects - {str(i) for i in acked})} stored "
             "without a 250 (committed when the kill came, the client never saw the reply)")
    lost = sorted(i for i in acked if str(i) not in subjects)
    rep.check(not lost, f"after kill -9 and a restart, every message that got 250 is in the INBOX ({len(acked)})",
              f"lost: {lost}")
    r = smtp_send(HOST, sub, DUPONT, [MARTIN], make_message(DUPONT, MARTIN, subject="after restart"),
                  context=anchors_only, auth=plain(DUPONT_ID))
    rep.check(r.accepted and beta.wait_for(MARTIN_ID, subject_is("after restart"), 30) is not None,
              "after the restart, alpha sends to beta again")

    # The queue survives kill -9: stop beta, queue a message, kill alpha, restart alpha then beta.
    beta.stop()
    r = smtp_send(HOST, sub, DUPONT, [MARTIN], make_message(DUPONT, MARTIN, subject="queued across a crash"),
                  context=anchors_only, auth=plain(DUPONT_ID))
    rep.check(r.accepted, "submission accepts while beta is down", r)
    time.sleep(1.5)
    q = run("queue", "list", "--json", "--state", alpha.state)
    alpha.stop(signal.SIGKILL)
    rep.check(q.returncode == 0 and r.queue_id and r.queue_id in q.stdout,
              "the message waits in alpha's queue (mssgw queue list --json)", q.stdout[:400] + q.stderr)
    alpha.start()
    beta.start()
    rep.check(beta.wait_for(MARTIN_ID, subject_is("queued across a crash"), 40) is not None,
              "after kill -9 of alpha and the return of beta, the queued message is delivered")

    # Graceful stop.
    alpha.stop()
    rep.check("server.stopped" in alpha.log_text(), "SIGTERM stops alpha gracefully")
except SystemExit:
    raise
except Exception as e:  # a crash of the test itself is a failure, with the logs
    import traceback
    rep.check(False, "the test ran to the end", traceback.format_exc())
    for op in (alpha, beta):
        if op:
            print(f"--- {op.name} log tail ---\n{op.log_tail(40)}")
finally:
    for op in (alpha, beta):
        if op:
            op.stop()
    if gamma:
        gamma.stop()
    if os.environ.get("MSSGW_KEEP_TMP") != "1":
        shutil.rmtree(tmp, ignore_errors=True)
sys.exit(rep.summary())
