"""One `mssgw serve` acting as an MSSanté operator, for integration tests: its own state, certificate, domain, BALs,
users file (PLAIN) and config, with SMTP (MX, submission, submissions) and IMAPS listeners on free ports.

    alpha = MssgwOperator(rep, mssgw, pki, "alpha", root, bals=[(address, owner)], passwords={user: password})
    alpha.write_config(routes={"beta.mssante.test": beta.mx_port}, extra="[citizen]\\nrole = \\"host\\"\\n")
    alpha.start(); alpha.inbox(user); alpha.wait_for(user, predicate); alpha.stop(signal.SIGKILL)

Checks go to the Report given (`rep.check`); start() ends the test (SystemExit) when the listeners do not come up.
"""
import base64
import hashlib
import imaplib
import os
import signal
import subprocess
import time

from ports import HOST, free_ports, wait_for_port


def ssha512(password, salt=b"NaCl1234"):
    """Dovecot's {SSHA512} scheme, as mssgw's users file reads it."""
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


class MssgwOperator:
    def __init__(self, rep, mssgw, pki, name, root, bals=(), passwords=None, whitelist=None):
        self.rep = rep
        self.mssgw = mssgw
        self.pki = pki
        self.name = name
        self.credential = pki.operator(name)
        self.domain = self.credential.domain
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.state = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "mssgw.log")
        self.config = os.path.join(self.dir, "mssgw.toml")
        self.whitelist = whitelist or pki.whitelist
        self.passwords = dict(passwords or {})
        self.mx_port, self.submission_port, self.submissions_port, self.imap_port = free_ports(4)
        self.process = None
        for address, owner in bals:
            r = self.run("bal", "create", address, "--owner", owner, "--state", self.state)
            rep.check(r.returncode == 0, f"{name}: bal create {address}", r.stderr)
        self.users = os.path.join(self.dir, "users")
        with open(self.users, "w") as f:
            for user, password in self.passwords.items():
                f.write(f"{user}:{ssha512(password)}\n")

    def run(self, *args):
        return subprocess.run([self.mssgw, *args], capture_output=True, text=True, timeout=60)

    def write_config(self, routes, extra="", smtp_extra='max_message_size = "2MiB"\nmax_recipients = 5\n',
                     auth_extra=""):
        route_text = ", ".join(f'"{d}" = "{HOST}:{p}"' for d, p in routes.items())
        c = self.credential
        with open(self.config, "w") as f:
            f.write(f"""[server]
state_dir = "{self.state}"
hostname = "{c.hostname}"
local_domains = ["{self.domain}"]
threads = 2
[log]
file = "{self.log}"
[auth]
plain_enabled = true
users_file = "{self.users}"
{auth_extra}[tls]
certificate = "{c.chain}"
key = "{c.key}"
trust_anchors = "{self.pki.anchors}"
crl_files = ["{self.pki.crl_all}"]
[whitelist]
file = "{self.whitelist}"
[smtp]
{smtp_extra}[smtp.mx]
listen = ["{HOST}:{self.mx_port}"]
[smtp.submission]
listen = ["{HOST}:{self.submission_port}"]
[smtp.submissions]
listen = ["{HOST}:{self.submissions_port}"]
[queue]
scan_interval = "1s"
minimal_backoff = "1s"
maximal_backoff = "2s"
routes = {{ {route_text} }}
[imap]
listen_tls = ["{HOST}:{self.imap_port}"]
{extra}""")

    def start(self):
        r = self.run("check-config", "-c", self.config)
        self.rep.check(r.returncode == 0, f"{self.name}: check-config accepts the test config", r.stdout + r.stderr)
        self.process = subprocess.Popen([self.mssgw, "serve", "-c", self.config], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        up = all(wait_for_port(HOST, p, 20) for p in
                 (self.mx_port, self.submission_port, self.submissions_port, self.imap_port))
        self.rep.check(up, f"{self.name}: serve listens on MX, submission, submissions and IMAPS")
        if not up:
            print(self.log_tail())
            raise SystemExit(self.rep.summary())

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=30):
        return "".join(self.log_text().splitlines(keepends=True)[-n:])

    def imap(self, user):
        m = imaplib.IMAP4_SSL(HOST, self.imap_port, ssl_context=self.pki.client_context())
        m.login(user, self.passwords[user])
        return m

    def inbox(self, user):
        """The messages of the user's INBOX, as bytes, in UID order ([] when the user has no INBOX)."""
        m = self.imap(user)
        try:
            typ, _ = m.select("INBOX", readonly=True)
            if typ != "OK":  # no mailbox (yet): a patient's is created by the first message
                return []
            typ, data = m.uid("SEARCH", None, "ALL")
            out = []
            for uid in data[0].split():
                typ, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
                out.append(d[0][1])
            return out
        finally:
            m.logout()

    def wait_for(self, user, predicate, timeout=20):
        """The first INBOX message matching predicate, polling until timeout; None if none came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [msg for msg in self.inbox(user) if predicate(msg)]
            if found:
                return found[0]
            time.sleep(0.2)
        return None
