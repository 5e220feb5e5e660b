#!/usr/bin/env python3
"""Side-by-side SMTP benchmark (SMTP issue, "Benchmark"): mssgw and Postfix, driven in the same run by bench_smtp_load.

For each target (an SMTP server set up as an MSSanté operator would run it), it measures:
  1. accept rate under mutual TLS: 20 sessions (STARTTLS, client certificate, server verified), 4 KB and 100 KB
     messages to local mailboxes; the figure is replies "250" after DATA per second, with p50/p99 accept latency;
  2. end to end into the mailboxes: the time from the first connection until every accepted message is in a
     mailbox (for Postfix: in Dovecot's Maildirs, through LMTP), as messages per second;
  3. relay to a remote peer: the same load for a remote domain, accept rate and time until all arrived at the peer
     (a private Postfix operator "beta" delivering to Maildir);
  4. a plaintext reference with Postfix's smtp-source (no TLS: it cannot do any), accept and end to end.

Targets:
  - postfix: a private Postfix ("gamma", tests/integration/lib/postfix_peer.py) with TLS required and client
    certificates required and verified on its MX, its queue on the same disk as everything else (under /tmp), local
    delivery over LMTP to a private Dovecot (dovecot_peer.py). Defaults otherwise, as an operator would run it.
  - mssgw: `mssgw serve` from the build as the operator alpha (class MssgwTarget below): LMDB state under /tmp,
    MX with client certificates required, submission for the relay rows, a static route to the remote Postfix;
    "delivered" is read over IMAP. No plaintext SMTP listener, so no smtp-source rows.

Usage (as root; Postfix's master requires it):
  python3 bench/smtp_compare.py [--smtp-load PATH] [--sessions 20] [--count-4k 4000] [--count-100k 1500]
                                [--targets postfix,mssgw] [--skip-relay] [--skip-smtp-source] [--json FILE]
The load generator defaults to $MSSGW_BUILD_DIR/bench/bench_smtp_load, else the newest build*/bench/bench_smtp_load.
Everything runs on 127.0.0.1 in temp directories, removed at the end (MSSGW_KEEP_PEERS=1 keeps them).
"""
import argparse
import base64
import glob
import hashlib
import imaplib
import json
import os
import shutil
import subprocess
import sys
import time

SOURCE_DIR = os.environ.get("MSSGW_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration", "lib"))

from dovecot_peer import DovecotPeer  # noqa: E402
from pki import ensure_pki  # noqa: E402
from ports import HOST, free_ports, wait_for_port  # noqa: E402
from postfix_peer import PostfixPeer  # noqa: E402

REMOTE_DOMAIN = "beta.mssante.test"


class NotAvailable(Exception):
    pass


class Target:
    """What a benchmark needs from a server under test. Subclasses fill every method."""
    name = "?"
    client = None         # PKI credential the load generator presents on the MX (a whitelisted operator)
    sender = ""           # MAIL FROM, in the client's domain (mssgw checks the certificate's DN against it)
    local_rcpt = ""       # pattern for local mailboxes, "%d" replaced by 1..mailboxes
    server_name = ""      # name the server certificate must carry

    def start(self, remote):
        """Starts the server; `remote` is the PostfixPeer acting as the remote operator for the relay test."""
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def mx_port(self):
        raise NotImplementedError

    def delivered_count(self):
        """Messages in local mailboxes now (all of them): polled to measure end-to-end time."""
        raise NotImplementedError

    def relay_endpoint(self):
        """(port, extra smtp_load args, sender) to hand the server mail for REMOTE_DOMAIN, or None."""
        return None

    def plaintext_port(self):
        """A port where smtp-source can deliver to local mailboxes without TLS, or None."""
        return None

    def drained(self):
        """True when the server has nothing left to deliver (queue empty)."""
        return True


class PostfixTarget(Target):
    name = "postfix"

    def __init__(self, pki, mailboxes):
        self.pki = pki
        self.client = pki.alpha
        self.sender = "load@alpha.mssante.test"
        self.local_rcpt = "bench%d@gamma.mssante.test"
        self.server_name = "mx.gamma.mssante.test"
        self.mailboxes = mailboxes
        self.dovecot = None
        self.postfix = None

    def start(self, remote):
        self.dovecot = DovecotPeer().start()
        routes = {REMOTE_DOMAIN: (HOST, remote.mx_port)} if remote else {}
        self.postfix = PostfixPeer(self.pki, "gamma", lmtp=self.dovecot, routes=routes).start()

    def stop(self):
        for p in (self.postfix, self.dovecot):
            if p is not None:
                p.stop()

    def mx_port(self):
        return self.postfix.mx_port

    def delivered_count(self):
        return self.dovecot.deliveries()  # log lines, not a Maildir walk: polling must not load the machine

    def relay_endpoint(self):
        # Postfix's MX relays for nobody; its submission listener relays for 127.0.0.1 (STARTTLS offered, used).
        return (self.postfix.submission_port, [], "load@gamma.mssante.test")

    def plaintext_port(self):
        return self.postfix.submission_port

    def drained(self):
        return self.postfix.queue_is_empty()

    def versions(self):
        pf = subprocess.run(["postconf", "-c", self.postfix.confdir, "-h", "mail_version"], capture_output=True,
                            text=True).stdout.strip()
        dc = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
        return f"Postfix {pf}, Dovecot {dc}"


class MssgwTarget(Target):
    """`mssgw serve` from the build ($MSSGW, else $MSSGW_BUILD_DIR/app/mssgw, else the newest build*/app/mssgw) as
    the operator alpha: its own state and config in a temp dir under /tmp (the same disk as Postfix's queue), alpha's
    certificate, the test whitelist, an MX requiring gamma's (any whitelisted) client certificate, a submission
    listener (STARTTLS + PLAIN) for the relay rows, and a static route beta.mssante.test -> the remote Postfix.
    Local delivery is the commit that precedes the 250; "delivered" is what IMAP shows: STATUS (MESSAGES) of the
    bench INBOXes on one plaintext loopback IMAP connection of an identity granted read on every bench BAL (one
    round of 100 STATUS costs a few ms; it is polled only between loads). Not the log: it is flushed on warnings
    only, so its last info lines may stay in the buffer. verify_delivered reads the counts from the store instead.
    No plaintext listener: mssgw has none (MX and submission require TLS), so the smtp-source rows are skipped.
    The load generator presents gamma's certificate with senders in gamma.mssante.test."""
    name = "mssgw"
    submitter = "810000000999"   # idNat of the identity that submits the relayed load (PLAIN, users file)
    password = "bench-secret"

    def __init__(self, pki, mailboxes):
        self.pki = pki
        self.client = pki.gamma
        self.sender = "load@gamma.mssante.test"
        self.local_rcpt = "bench%d@alpha.mssante.test"
        self.server_name = "mx.alpha.mssante.test"
        self.mailboxes = mailboxes
        self.binary = find_mssgw()
        self.proc = None
        self.dir = None
        self.imap = None

    def run(self, *args):
        p = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"mssgw {' '.join(args)} failed (exit {p.returncode}): {p.stdout}{p.stderr}")
        return p.stdout

    def start(self, remote):
        if not self.binary:
            raise NotAvailable("mssgw not found: set MSSGW or MSSGW_BUILD_DIR, or build app/mssgw")
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="mssgw-bench-smtp-")
        state = os.path.join(self.dir, "state")
        log = os.path.join(self.dir, "mssgw.log")
        config = os.path.join(self.dir, "mssgw.toml")
        alpha = self.pki.alpha
        for i in range(1, self.mailboxes + 1):
            self.run("bal", "create", self.local_rcpt % i, "--owner", f"81{i:010d}", "--state", state)
            self.run("bal", "grant", self.local_rcpt % i, self.submitter, "--rights", "read", "--state", state)
        self.run("bal", "create", "load@alpha.mssante.test", "--owner", self.submitter, "--state", state)
        users = os.path.join(self.dir, "users")
        salt = b"benchsalt"
        digest = hashlib.sha512(self.password.encode() + salt).digest()
        with open(users, "w") as f:
            f.write(f"{self.submitter}:{{SSHA512}}{base64.b64encode(digest + salt).decode()}\n")
        self.mx, self.submission, self.imap_port = free_ports(3)
        route = f'"{REMOTE_DOMAIN}" = "{HOST}:{remote.mx_port}"' if remote else ""
        with open(config, "w") as f:
            f.write(f"""[server]
state_dir = "{state}"
hostname = "{alpha.hostname}"
local_domains = ["{alpha.domain}"]
[log]
file = "{log}"
[auth]
plain_enabled = true
users_file = "{users}"
[tls]
certificate = "{alpha.chain}"
key = "{alpha.key}"
trust_anchors = "{self.pki.anchors}"
crl_files = ["{self.pki.crl_all}"]
[whitelist]
file = "{self.pki.whitelist}"
[smtp.mx]
listen = ["{HOST}:{self.mx}"]
[smtp.submission]
listen = ["{HOST}:{self.submission}"]
[queue]
routes = {{ {route} }}
[imap]
listen = ["{HOST}:{self.imap_port}"]
plaintext_auth_loopback = true
""")
        self.run("check-config", "-c", config)
        self.proc = subprocess.Popen([self.binary, "serve", "-c", config], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        if not all(wait_for_port(HOST, p, 20) for p in (self.mx, self.submission, self.imap_port)):
            raise RuntimeError(f"mssgw serve did not listen on its MX, submission and IMAP ports; see {log}")
        self.state = state
        self.imap = imaplib.IMAP4(HOST, self.imap_port)
        self.imap.login(self.submitter, self.password)

    def stop(self):
        if self.imap is not None:
            try:
                self.imap.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir and os.environ.get("MSSGW_KEEP_PEERS") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def versions(self):
        return f"mssgw {self.binary}"

    def mx_port(self):
        return self.mx

    def delivered_count(self):
        total = 0
        for i in range(1, self.mailboxes + 1):
            typ, data = self.imap.status(f'"Shared/{self.local_rcpt % i}/INBOX"', "(MESSAGES)")
            if typ != "OK":
                raise RuntimeError(f"IMAP STATUS of {self.local_rcpt % i}: {typ} {data}")
            total += int(data[0].rsplit(b"MESSAGES ", 1)[1].split(b")")[0])
        return total

    def verify_delivered(self):
        """Messages in the bench mailboxes' INBOXes now, read from the store (`mssgw bal show --json`)."""
        total = 0
        for i in range(1, self.mailboxes + 1):
            bal = json.loads(self.run("bal", "show", self.local_rcpt % i, "--json", "--state", self.state))
            total += sum(m["messages"] for m in bal["mailboxes"] if m["name"] == "INBOX")
        return total

    def relay_endpoint(self):
        return (self.submission, ["--auth", "plain", "--user", self.submitter, "--password", self.password],
                "load@alpha.mssante.test")

    def drained(self):
        return self.run("queue", "list", "--json", "--state", self.state).strip() == ""


def find_mssgw():
    if os.environ.get("MSSGW"):
        return os.environ["MSSGW"]
    cands = []
    if os.environ.get("MSSGW_BUILD_DIR"):
        cands.append(os.path.join(os.environ["MSSGW_BUILD_DIR"], "app", "mssgw"))
    cands += sorted(glob.glob(os.path.join(SOURCE_DIR, "build*", "app", "mssgw")), key=os.path.getmtime,
                    reverse=True)
    return next((c for c in cands if os.access(c, os.X_OK)), "")


# ----- measurements -----

def find_smtp_load(explicit):
    if explicit:
        return explicit
    cands = []
    if os.environ.get("MSSGW_BUILD_DIR"):
        cands.append(os.path.join(os.environ["MSSGW_BUILD_DIR"], "bench", "bench_smtp_load"))
    found = glob.glob(os.path.join(SOURCE_DIR, "build*", "bench", "bench_smtp_load"))
    cands += sorted(found, key=os.path.getmtime, reverse=True)
    for c in cands:
        if os.access(c, os.X_OK):
            return c
    sys.exit("smtp_compare: bench_smtp_load not found: build it (ninja -C <build dir> bench_smtp_load) "
             "or pass --smtp-load")


def wait_delivered(target, expected, t0, timeout):
    """Polls until target.delivered_count() >= expected; returns seconds since t0, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        n = target.delivered_count()
        if n >= expected:
            return time.monotonic() - t0, n
        if time.monotonic() >= deadline:
            return None, n
        time.sleep(0.05)


def settle(target, timeout=120):
    """Waits until nothing is in flight, so that runs do not overlap."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        n = target.delivered_count()
        if n == last and target.drained():
            return
        last = n
        time.sleep(0.5)


def run_smtp_load(load, port, args, client, pki, server_name, sender, rcpt, count, size, sessions, mailboxes):
    cmd = [load, "--port", str(port), "--sessions", str(sessions), "--count", str(count), "--size", size,
           "--cert", client.chain, "--key", client.key, "--ca", pki.anchors, "--verify-name", server_name,
           "--from", sender, "--to", rcpt, "--to-range", f"1-{mailboxes}", "--json", "--max-fail", "1",
           "--timeout", "120"] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise RuntimeError(f"smtp_load failed (exit {p.returncode}): {p.stdout}{p.stderr}")


def measure_tls(target, load, pki, size, count, sessions, mailboxes, e2e_timeout):
    settle(target)
    base = target.delivered_count()
    t0 = time.monotonic()
    res = run_smtp_load(load, target.mx_port(), [], target.client, pki, target.server_name, target.sender,
                        target.local_rcpt, count, size, sessions, mailboxes)
    e2e, n = wait_delivered(target, base + res["accepted"], t0, e2e_timeout)
    return {"test": f"mTLS {size} local", "messages": res["accepted"], "failed": res["failed"],
            "accept_msg_s": res["msg_per_s"], "accept_mb_s": res["mb_per_s"],
            "p50_ms": res["latency_ms"]["p50"], "p99_ms": res["latency_ms"]["p99"],
            "max_ms": res["latency_ms"]["max"], "handshakes": res["handshakes"],
            "e2e_s": e2e, "e2e_msg_s": (res["accepted"] / e2e) if e2e else None,
            "e2e_note": "" if e2e else f"only {n - base} of {res['accepted']} delivered after {e2e_timeout} s",
            "failures": res["failures"]}


def measure_relay(target, remote, load, pki, size, count, sessions, mailboxes, e2e_timeout):
    ep = target.relay_endpoint()
    if ep is None:
        return None
    port, extra, sender = ep
    settle(target)
    base = remote.deliveries()
    t0 = time.monotonic()
    res = run_smtp_load(load, port, extra, target.client, pki, target.server_name, sender,
                        f"relay%d@{REMOTE_DOMAIN}", count, size, sessions, mailboxes)

    class _Remote:
        def delivered_count(self):
            return remote.deliveries()
    e2e, n = wait_delivered(_Remote(), base + res["accepted"], t0, e2e_timeout)
    return {"test": f"mTLS {size} relay to peer", "messages": res["accepted"], "failed": res["failed"],
            "accept_msg_s": res["msg_per_s"], "accept_mb_s": res["mb_per_s"],
            "p50_ms": res["latency_ms"]["p50"], "p99_ms": res["latency_ms"]["p99"],
            "max_ms": res["latency_ms"]["max"], "handshakes": res["handshakes"],
            "e2e_s": e2e, "e2e_msg_s": (res["accepted"] / e2e) if e2e else None,
            "e2e_note": "" if e2e else f"only {n - base} of {res['accepted']} arrived after {e2e_timeout} s",
            "failures": res["failures"]}


def measure_smtp_source(target, size_bytes, label, count, sessions, e2e_timeout):
    port = target.plaintext_port()
    exe = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    if port is None or not os.access(exe, os.X_OK):
        return None
    settle(target)
    base = target.delivered_count()
    rcpt = target.local_rcpt.replace("%d", "1")
    t0 = time.monotonic()
    # -d: one connection per session, reused (as smtp_load does); -s sessions in parallel; -m messages in total.
    p = subprocess.run([exe, "-d", "-s", str(sessions), "-m", str(count), "-l", str(size_bytes),
                        "-f", target.sender, "-t", rcpt, f"{HOST}:{port}"], capture_output=True, text=True,
                       timeout=3600)
    accept_s = time.monotonic() - t0
    if p.returncode != 0:
        return {"test": f"plaintext {label} smtp-source", "messages": 0, "failed": count,
                "e2e_note": f"smtp-source failed: {p.stdout}{p.stderr}"}
    e2e, n = wait_delivered(target, base + count, t0, e2e_timeout)
    return {"test": f"plaintext {label} smtp-source", "messages": count, "failed": 0,
            "accept_msg_s": count / accept_s, "accept_mb_s": count * size_bytes / accept_s / 1e6,
            "e2e_s": e2e, "e2e_msg_s": (count / e2e) if e2e else None,
            "e2e_note": "" if e2e else f"only {n - base} of {count} delivered after {e2e_timeout} s"}


def fmt(v, f="{:.0f}"):
    return "-" if v is None else f.format(v)


def print_row(target, r):
    print(f"{target:8} {r['test']:28} {r['messages']:6} {fmt(r.get('accept_msg_s')):>9} "
          f"{fmt(r.get('accept_mb_s'), '{:.2f}'):>7} {fmt(r.get('p50_ms'), '{:.1f}'):>7} "
          f"{fmt(r.get('p99_ms'), '{:.1f}'):>7} {fmt(r.get('e2e_msg_s')):>8}  {r.get('e2e_note', '')}"
          + (f" failures={r['failures']}" if r.get("failures") else ""), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smtp-load", default="")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--count-4k", type=int, default=4000)
    ap.add_argument("--count-100k", type=int, default=1500)
    ap.add_argument("--mailboxes", type=int, default=100)
    ap.add_argument("--targets", default="postfix,mssgw")
    ap.add_argument("--skip-relay", action="store_true")
    ap.add_argument("--skip-smtp-source", action="store_true")
    ap.add_argument("--e2e-timeout", type=float, default=600)
    ap.add_argument("--json", default="", help="also write every figure to this file")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("smtp_compare: run as root (Postfix's master requires it)")
    load = find_smtp_load(a.smtp_load)
    pki = ensure_pki()
    sizes = [("4k", 4096, a.count_4k), ("100k", 102400, a.count_100k)]
    print(f"smtp_compare: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start, "
          f"{a.sessions} sessions, {a.mailboxes} local mailboxes, load generator {load}", flush=True)
    print(f"{'target':8} {'test':28} {'msgs':>6} {'accept/s':>9} {'MB/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'e2e/s':>8}", flush=True)
    results = {"machine": {"cores": os.cpu_count(), "loadavg_start": os.getloadavg()}, "targets": {}}
    # The remote operator for relay tests: a private Postfix "beta" delivering to Maildir, shared by all targets.
    remote = None if a.skip_relay else PostfixPeer(pki, "beta").start()
    try:
        for name in a.targets.split(","):
            target = {"postfix": PostfixTarget, "mssgw": MssgwTarget}[name](pki, a.mailboxes)
            rows = []
            try:
                target.start(remote)
            except NotAvailable as e:
                print(f"{name:8} not available: {e}", flush=True)
                results["targets"][name] = {"available": False, "reason": str(e)}
                continue
            try:
                if hasattr(target, "versions"):
                    print(f"{name:8} {target.versions()}", flush=True)
                for label, size_bytes, count in sizes:
                    r = measure_tls(target, load, pki, label, count, a.sessions, a.mailboxes, a.e2e_timeout)
                    print_row(name, r)
                    rows.append(r)
                if hasattr(target, "verify_delivered"):
                    # The end-to-end figure counted log lines; the mailboxes must hold every accepted message.
                    accepted = sum(r["messages"] for r in rows)
                    stored = target.verify_delivered()
                    print(f"{name:8} check: {stored} messages in the local INBOXes, {accepted} accepted: "
                          f"{'ok' if stored == accepted else 'MISMATCH'}", flush=True)
                    results.setdefault("checks", {})[name] = {"stored": stored, "accepted": accepted}
                if remote is not None:
                    for label, size_bytes, count in sizes:
                        r = measure_relay(target, remote, load, pki, label, count, a.sessions, a.mailboxes,
                                          a.e2e_timeout)
                        if r:
                            print_row(name, r)
                            rows.append(r)
                if not a.skip_smtp_source:
                    for label, size_bytes, count in sizes:
                        r = measure_smtp_source(target, size_bytes, label, count, a.sessions, a.e2e_timeout)
                        if r:
                            print_row(name, r)
                            rows.append(r)
            finally:
                target.stop()
            results["targets"][name] = {"available": True, "rows": rows}
    finally:
        if remote is not None:
            remote.stop()
    results["machine"]["loadavg_end"] = os.getloadavg()

    # The targets, when both sides have figures.
    pf = results["targets"].get("postfix", {})
    ms = results["targets"].get("mssgw", {})
    if pf.get("available") and ms.get("available"):
        for label in ("4k", "100k"):
            p = next(r for r in pf["rows"] if r["test"] == f"mTLS {label} local")
            m = next(r for r in ms["rows"] if r["test"] == f"mTLS {label} local")
            if p.get("e2e_msg_s") and m.get("e2e_msg_s"):
                print(f"{label}: mssgw into mailboxes / Postfix->Dovecot end to end = "
                      f"{m['e2e_msg_s'] / p['e2e_msg_s']:.2f}x (target >= 4x); mssgw / Postfix accept = "
                      f"{m['accept_msg_s'] / p['accept_msg_s']:.2f}x (target >= 2x)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
