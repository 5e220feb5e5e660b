#!/usr/bin/env python3
"""Proves the real-peer harness (tests/integration/lib) against Postfix and Dovecot themselves:
two private Postfix operators (gamma, beta) relay to each other over verified mutual TLS; gamma delivers over LMTP
to a private Dovecot, read back over IMAP; refusals (no STARTTLS, rogue/expired/absent client certificate, unknown
recipient, relay) come back with their codes; bench_smtp_load drives gamma over STARTTLS with a client certificate;
and stopping leaves no process, port or directory behind. Prints one line per check, ends with 'N passed, M failed'.

Usage: selftest.py [--smtp-load PATH]   (ctest passes the bench_smtp_load binary)
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import instances  # noqa: E402
from dovecot_peer import DovecotPeer  # noqa: E402
from pki import ensure_pki  # noqa: E402
from ports import HOST, free_ports, port_is_open, wait_for_port  # noqa: E402
from postfix_peer import PostfixPeer  # noqa: E402
from report import Report  # noqa: E402
from smtp_client import make_message  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--smtp-load", default="")
args = ap.parse_args()

rep = Report()
if os.geteuid() != 0:
    print("peers_selftest: Postfix's master must run as root; this test needs root")
    rep.check(False, "running as root")
    sys.exit(rep.summary())


def system_state():
    """What must not change: the system instances' config and pid files."""
    out = {}
    for p in ("/etc/postfix/main.cf", "/etc/postfix/master.cf", "/var/spool/postfix/pid/master.pid",
              "/etc/dovecot/dovecot.conf", "/run/dovecot/master.pid", "/var/lib/dovecot/instances"):
        try:
            st = os.stat(p)
            out[p] = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            out[p] = None
    return out


before = system_state()
pki = ensure_pki()
rep.check(os.path.exists(pki.anchors) and os.path.exists(pki.gamma.chain) and os.path.exists(pki.rogue.chain),
          "test PKI is there", pki.root)

a, b, c = free_ports(3)
rep.check(len({a, b, c}) == 3 and not port_is_open(HOST, a), "free_ports gives distinct unused ports", (a, b, c))
t = time.monotonic()
rep.check(not wait_for_port(HOST, a, 0.3) and time.monotonic() - t < 2, "wait_for_port gives up on a closed port")

gamma_port, beta_port = free_ports(2)
dovecot = DovecotPeer()
gamma = PostfixPeer(pki, "gamma", mx_port=gamma_port, lmtp=dovecot,
                    routes={"beta.mssante.test": (HOST, beta_port)})
beta = PostfixPeer(pki, "beta", mx_port=beta_port, mailboxes=["u1", "u2", "dr.beta"],
                   routes={"gamma.mssante.test": (HOST, gamma_port)})
pids, dirs = [], []
try:
    t = time.monotonic()
    dovecot.start()
    gamma.start()
    beta.start()
    rep.note(f"Dovecot and two Postfix instances started in {time.monotonic() - t:.1f} s")
    rep.check(gamma.started and beta.started and dovecot.started, "two Postfix peers and Dovecot start",
              gamma.log_tail() + beta.log_tail())
    rep.check(not gamma.check_warnings and not beta.check_warnings, "`postfix check` reports no warning",
              gamma.check_warnings + beta.check_warnings)
    pids = [gamma.master_pid, beta.master_pid, dovecot.master_pid]
    dirs = [gamma.dir, beta.dir, dovecot.dir]
    rep.check(all(instances.pid_alive(p) for p in pids), "master processes are known", pids)
    rep.check(instances.process_env(gamma.master_pid).get("MAIL_CONFIG") == gamma.confdir,
              "gamma's master runs the private configuration", gamma.confdir)

    # 1. gamma -> beta over mutual TLS, delivered to a Maildir.
    m1 = make_message("dr.gamma@gamma.mssante.test", "u1@beta.mssante.test", "gamma to beta")
    r = gamma.submit("dr.gamma@gamma.mssante.test", "u1@beta.mssante.test", m1)
    rep.check(r.accepted and r.queue_id, "gamma accepts a message for beta (submission port)", r)
    msg = beta.wait_for_message("u1@beta.mssante.test", 20, lambda m: m["Subject"] == "gamma to beta")
    rep.check(msg is not None, "the message arrives in beta's Maildir", gamma.log_tail(15) + "\n" + beta.log_tail(15))
    received = (msg.get_all("Received") if msg else None) or [""]
    top = received[0]
    rep.check(("using TLSv1.3" in top or "using TLSv1.2" in top) and "ESMTPS" in top,
              "beta's Received header shows TLS (1.2+)", top)
    rep.check('Client CN "mx.gamma.mssante.test"' in top and "(verified OK)" in top,
              "beta verified gamma's client certificate", top)
    rep.check("Verified TLS connection established to" in gamma.log_text(),
              "gamma verified beta's server certificate (secure level)", gamma.log_tail(10))

    # 2. beta -> gamma over mutual TLS, then LMTP into Dovecot, read back over IMAP.
    m2 = make_message("dr.beta@beta.mssante.test", "u2@gamma.mssante.test", "beta to gamma via lmtp")
    r = beta.submit("dr.beta@beta.mssante.test", "u2@gamma.mssante.test", m2)
    rep.check(r.accepted, "beta accepts a message for gamma", r)
    msg = gamma.wait_for_message("u2@gamma.mssante.test", 20)
    rep.check(msg is not None and msg["Subject"] == "beta to gamma via lmtp",
              "it arrives in Dovecot's Maildir through gamma's LMTP",
              beta.log_tail(10) + "\n" + gamma.log_tail(10) + "\n" + dovecot.log_tail(10))
    received = (msg.get_all("Received") if msg else None) or ["", ""]
    rep.check("with LMTP" in received[0] and 'Client CN "mx.beta.mssante.test"' in received[1],
              "Received headers show LMTP and beta's verified certificate", received[:2])
    try:
        imap = dovecot.imap("u2@gamma.mssante.test")
        typ, data = imap.select("INBOX")
        n = int(data[0])
        typ, fetched = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        imap.logout()
        subject = fetched[0][1].decode().strip()
        rep.check(n == 1 and subject == "Subject: beta to gamma via lmtp", "IMAP shows the message in INBOX",
                  (n, subject))
    except Exception as e:
        rep.check(False, "IMAP shows the message in INBOX", repr(e))

    # 3. Refusals at gamma's MX.
    m3 = make_message("x@alpha.mssante.test", "u3@gamma.mssante.test", "must not arrive")
    r = gamma.send("x@alpha.mssante.test", "u3@gamma.mssante.test", m3, starttls=False)
    rep.check(r.stage == "mail" and r.code == 530, "MAIL without STARTTLS is refused with 530", r)
    r = gamma.send("x@alpha.mssante.test", "u3@gamma.mssante.test", m3, credential=pki.rogue)
    rep.check(not r.accepted and r.code == 421 and "not trusted" in r.text,
              "a client certificate from a rogue CA is refused (421 4.7.1)", r)
    r = gamma.send("x@alpha.mssante.test", "u3@gamma.mssante.test", m3, credential=pki.expired)
    rep.check(not r.accepted and r.code == 421, "an expired client certificate is refused", r)
    r = gamma.send("x@alpha.mssante.test", "u3@gamma.mssante.test", m3, credential=None)
    rep.check(not r.accepted and r.code == 421 and "No client certificate" in r.text,
              "a client without certificate is refused", r)
    r = gamma.send("x@alpha.mssante.test", "u3@beta.mssante.test", m3, credential="alpha")
    rep.check(r.stage == "rcpt" and r.code == 554, "the MX is no open relay (554 at RCPT)", r)
    r = beta.send("x@alpha.mssante.test", "nobody@beta.mssante.test", m3, credential="alpha")
    rep.check(r.stage == "rcpt" and r.code == 550, "an unknown mailbox is refused with 550 when mailboxes are listed", r)

    # 4. A trusted operator (alpha) delivers straight to beta's MX, verifying beta's name.
    m4 = make_message("x@alpha.mssante.test", "u2@beta.mssante.test", "alpha direct")
    r = beta.send("x@alpha.mssante.test", "u2@beta.mssante.test", m4, credential="alpha",
                  server_name="mx.beta.mssante.test")
    rep.check(r.accepted and r.tls_version in ("TLSv1.2", "TLSv1.3"), "alpha's certificate is accepted at beta's MX", r)
    rep.check(beta.wait_for_message("u2@beta.mssante.test", 20, lambda m: m["Subject"] == "alpha direct") is not None,
              "alpha's message is delivered", beta.log_tail(10))

    # 5. swaks (the submission tests use it) speaks TLS with a client certificate (needs Net::SSLeay).
    p = subprocess.run(["swaks", "--server", f"{HOST}:{beta_port}", "--from", "x@alpha.mssante.test",
                        "--to", "u1@beta.mssante.test", "--header", "Subject: swaks", "--tls",
                        "--tls-cert", pki.alpha.chain, "--tls-key", pki.alpha.key, "--tls-ca-path", pki.anchors,
                        "--tls-verify"], capture_output=True, text=True, timeout=60)
    rep.check(p.returncode == 0 and "=== TLS started" in p.stdout, "swaks delivers over STARTTLS with alpha's certificate",
              p.stdout[-800:] + p.stderr)
    rep.check(beta.wait_for_message("u1@beta.mssante.test", 20, lambda m: m["Subject"] == "swaks") is not None,
              "swaks' message is delivered", beta.log_tail(10))

    # 6. bench_smtp_load against gamma: STARTTLS + client certificate, PIPELINING, into Dovecot end to end.
    load = args.smtp_load
    if not load or not os.access(load, os.X_OK):
        rep.check(False, "bench_smtp_load is built", f"not found: {load!r} (build the bench_smtp_load target)")
    else:
        base = dovecot.count_messages()
        cmd = [load, "--port", str(gamma_port), "--sessions", "4", "--count", "20", "--size", "4k",
               "--cert", pki.alpha.chain, "--key", pki.alpha.key, "--ca", pki.anchors,
               "--verify-name", "mx.gamma.mssante.test", "--from", "load@alpha.mssante.test",
               "--to", "load%d@gamma.mssante.test", "--to-range", "1-3", "--json", "--timeout", "20"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        try:
            res = json.loads(p.stdout)
        except ValueError:
            res = {}
        rep.check(p.returncode == 0 and res.get("accepted") == 20 and res.get("failed") == 0,
                  "smtp_load: 20 messages over STARTTLS with a client certificate, all accepted",
                  p.stdout + p.stderr)
        rep.check(res.get("handshakes") == 4 and res.get("connections") == 4 and res.get("pipelining") is True,
                  "smtp_load reuses 4 connections and pipelines", res)
        lat = res.get("latency_ms", {})
        rep.check(0 < lat.get("p50", 0) <= lat.get("p99", 0) <= lat.get("max", 0), "smtp_load reports latencies",
                  lat)
        arrived = dovecot.count_messages() - base
        deadline = time.monotonic() + 20
        while arrived < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
            arrived = dovecot.count_messages() - base
        rep.check(arrived == 20, "the 20 messages reach Dovecot", arrived)
        rep.check(dovecot.deliveries() == dovecot.count_messages() == 21,
                  "Dovecot's log-based delivery counter agrees with its Maildirs",
                  (dovecot.deliveries(), dovecot.count_messages()))

        p = subprocess.run(cmd[:cmd.index("--cert")] + ["--cert", pki.rogue.chain, "--key", pki.rogue.key,
                                                          "--ca", pki.anchors, "--count", "4", "--json"],
                           capture_output=True, text=True, timeout=60)
        try:
            res = json.loads(p.stdout)
        except ValueError:
            res = {}
        rep.check(p.returncode == 1 and res.get("accepted") == 0 and res.get("failures", {}).get("EHLO2 421") == 4,
                  "smtp_load with the rogue certificate: every message fails, 'EHLO2 421', exit 1", p.stdout + p.stderr)
        p = subprocess.run([load, "--port", str(gamma_port), "--tls", "none", "--sessions", "2", "--count", "4",
                            "--to", "u@gamma.mssante.test", "--json"], capture_output=True, text=True, timeout=60)
        try:
            res = json.loads(p.stdout)
        except ValueError:
            res = {}
        rep.check(p.returncode == 1 and res.get("failures", {}).get("MAIL 530") == 4,
                  "smtp_load in plaintext: MAIL refused with 530, exit 1", p.stdout + p.stderr)

    rep.check(gamma.wait_for_queue_empty(20) and beta.wait_for_queue_empty(20), "both queues drain",
              gamma.queue() + beta.queue())
    rep.check(beta.deliveries() == beta.count_messages() == 3,
              "beta's log-based delivery counter agrees with its Maildirs", (beta.deliveries(), beta.count_messages()))
finally:
    beta.stop()
    gamma.stop()
    dovecot.stop()

rep.check(pids and not any(instances.pid_alive(p) for p in pids), "stop() leaves no master process", pids)
rep.check(not any(port_is_open(HOST, p) for p in (gamma_port, beta_port, gamma.submission_port, dovecot.lmtp_port,
                                                  dovecot.imap_port)), "stop() closes every port")
rep.check(dirs and not any(d and os.path.exists(d) for d in dirs) or os.environ.get("MSSGW_KEEP_PEERS") == "1",
          "stop() removes the instance directories", dirs)
rep.check(system_state() == before, "the system's Postfix and Dovecot files are untouched", system_state())
sys.exit(rep.summary())
