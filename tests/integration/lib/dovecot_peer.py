"""A private Dovecot instance (LMTP + IMAP) for tests and benchmarks, entirely in a temp dir.

    with DovecotPeer() as dovecot:
        with PostfixPeer(pki, "gamma", lmtp=dovecot) as gamma:   # Postfix -> LMTP -> Dovecot
            ...
            msg = dovecot.wait_for_message("u1@gamma.mssante.test")
            imap = dovecot.imap("u1@gamma.mssante.test")          # logged-in imaplib.IMAP4; call logout()

What the instance is (everything under self.dir = /tmp/mssgw-peer-dovecot-XXXX; `dovecot -c self.conf`):
- LMTP on 127.0.0.1:lmtp_port and IMAP on 127.0.0.1:imap_port (no POP3, no imaps).
- Every user exists (static userdb, allow_all_users) and every user's password is `password` ("secret" by
  default); user names are full addresses. Mail is Maildir at <dir>/mail/<domain>/<local part>/Maildir,
  owned by nobody (65534). Dovecot's defaults are kept otherwise (mail_fsync = optimized: what an operator runs).
- TLS: none by default (plaintext IMAP on loopback: disable_plaintext_auth = no); with tls=Credential, IMAP offers
  STARTTLS with that certificate (ssl = yes, not required).
- Logs in self.log_path. base_dir, state_dir and instance_name are private, so the system instance is untouched.
Processes: start() returns once both listeners accept connections; stop() is idempotent (doveadm stop, then
SIGKILL of the master after 10 s) and removes the directory unless keep=True or MSSGW_KEEP_PEERS=1.
"""
import imaplib
import os
import shutil
import signal
import smtplib
import subprocess

import instances
import maildir
from ports import HOST, free_ports, wait_for_port

VMAIL_UID = 65534
VMAIL_GID = 65534


class DovecotError(RuntimeError):
    pass


def _bin(name):
    for d in ("/usr/sbin", "/usr/bin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    raise DovecotError(f"{name} not found: install dovecot-imapd and dovecot-lmtpd (scripts/install-deps.sh)")


def _master_pid_for(path):
    conf = os.path.join(path, "dovecot.conf")
    pid = instances.read_pid(os.path.join(path, "base", "master.pid"))
    if pid and instances.pid_alive(pid) and conf in instances.process_cmdline(pid):
        return pid
    return 0


def _teardown_stale(path):
    pid = _master_pid_for(path)
    if pid:
        os.kill(pid, signal.SIGTERM)
        if not instances.wait_pid_gone(pid, 5):
            os.kill(pid, signal.SIGKILL)
            instances.wait_pid_gone(pid, 5)


class DovecotPeer:
    """A private Dovecot. Arguments (all optional): lmtp_port, imap_port (default: free ports), password,
    tls (a PKI Credential for IMAP STARTTLS), extra_conf (text appended to dovecot.conf), keep."""

    def __init__(self, *, lmtp_port=None, imap_port=None, password="secret", tls=None, extra_conf="", keep=False):
        ports = free_ports(2)
        self.lmtp_port = lmtp_port or ports[0]
        self.imap_port = imap_port or ports[1]
        self.password = password
        self.tls = tls
        self.extra_conf = extra_conf
        self.keep = keep or os.environ.get("MSSGW_KEEP_PEERS") == "1"
        self.dir = None
        self.master_pid = 0
        self.started = False

    @property
    def conf(self):
        return os.path.join(self.dir, "dovecot.conf")

    @property
    def mail_root(self):
        return os.path.join(self.dir, "mail")

    @property
    def log_path(self):
        return os.path.join(self.dir, "dovecot.log")

    @property
    def lmtp(self):
        return (HOST, self.lmtp_port)

    @property
    def imap_addr(self):
        return (HOST, self.imap_port)

    def __repr__(self):
        return f"DovecotPeer(lmtp={self.lmtp_port}, imap={self.imap_port}, dir={self.dir})"

    def maildir(self, user):
        local, _, domain = user.lower().partition("@")
        return os.path.join(self.mail_root, domain or "_nodomain", local, "Maildir")

    def _conf_text(self):
        d = self.dir
        tls = "ssl = no\n"
        if self.tls is not None:
            tls = (f"ssl = yes\nssl_cert = <{self.tls.chain}\nssl_key = <{self.tls.key}\n"
                   "ssl_min_protocol = TLSv1.2\n")
        return f"""\
# Private test instance: nothing here refers to /etc/dovecot or /var/lib/dovecot.
instance_name = {os.path.basename(d)}
base_dir = {d}/base
state_dir = {d}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = imap lmtp
listen = {HOST}
{tls}disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 100
passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={VMAIL_UID} gid={VMAIL_GID} home={self.mail_root}/%d/%n allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {self.lmtp_port}
  }}
}}
{self.extra_conf}
"""

    def start(self):
        if self.started:
            return self
        instances.reap_stale("dovecot", _teardown_stale)
        self.dir = instances.make_instance_dir("dovecot")
        instances.register(self)
        try:
            for sub in ("base", "state"):
                os.makedirs(os.path.join(self.dir, sub))
            os.makedirs(self.mail_root, mode=0o700)
            os.chown(self.mail_root, VMAIL_UID, VMAIL_GID)
            with open(self.conf, "w") as f:
                f.write(self._conf_text())
            # The daemon keeps its inherited stdio: give it a file, not a pipe we would wait on forever.
            out_path = os.path.join(self.dir, "start.out")
            with open(out_path, "w") as out:
                rc = subprocess.run([_bin("dovecot"), "-c", self.conf], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, timeout=30).returncode
            if rc != 0:
                with open(out_path, errors="replace") as f:
                    raise DovecotError(f"dovecot -c {self.conf} failed (exit {rc}):\n{f.read()}\n"
                                       f"{self.log_tail(20)}")
            for port in (self.lmtp_port, self.imap_port):
                if not wait_for_port(HOST, port, 15):
                    raise DovecotError(f"Dovecot does not listen on {HOST}:{port}\n{self.log_tail(30)}")
            # master.pid may be written just after the listeners open.
            self.master_pid = maildir.wait_for(lambda: _master_pid_for(self.dir), 5) or 0
            self.started = True
            return self
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.dir is None:
            return
        pid = self.master_pid or _master_pid_for(self.dir)
        if pid and instances.pid_alive(pid):
            subprocess.run([_bin("doveadm"), "-c", self.conf, "stop"], capture_output=True, timeout=30)
            if not instances.wait_pid_gone(pid, 10) and self.conf in instances.process_cmdline(pid):
                os.kill(pid, signal.SIGKILL)
                instances.wait_pid_gone(pid, 5)
        self.started = False
        self.master_pid = 0
        instances.unregister(self)
        if self.keep:
            open(os.path.join(self.dir, "KEEP"), "w").close()
            print(f"DovecotPeer: kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ----- driving it -----
    def deliver(self, mail_from, rcpt_to, data):
        """Delivers over LMTP directly; returns smtplib's dict of refused recipients (empty: all delivered)."""
        rcpts = [rcpt_to] if isinstance(rcpt_to, str) else list(rcpt_to)
        with smtplib.LMTP(HOST, self.lmtp_port, local_hostname="client.test") as c:
            return c.sendmail(mail_from, rcpts, data)

    def imap(self, user, starttls=False, context=None):
        """A logged-in imaplib.IMAP4 for `user` (the caller logs out)."""
        m = imaplib.IMAP4(HOST, self.imap_port, timeout=30)
        if starttls:
            m.starttls(context)
        m.login(user, self.password)
        return m

    def messages(self, recipient=None, predicate=None):
        """Delivered messages (of `recipient`'s Maildir, or all), matching predicate(Message) if given."""
        root = self.maildir(recipient) if recipient else self.mail_root
        return maildir.find_messages(root, None, predicate)

    def wait_for_message(self, recipient, timeout=15, predicate=None):
        found = maildir.wait_for(lambda: self.messages(recipient, predicate), timeout, 0.1)
        return found[0] if found else None

    def deliveries(self):
        """How many messages Dovecot has saved since it started (LMTP "saved mail to" log lines): the cheap way to
        follow a benchmark's progress."""
        if getattr(self, "_log_counter", None) is None or self._log_counter.path != self.log_path:
            self._log_counter = maildir.LogCounter(self.log_path, ": saved mail to ")
        return self._log_counter.count()

    def count_messages(self, recipient=None):
        return maildir.count_messages(self.maildir(recipient) if recipient else self.mail_root)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])
