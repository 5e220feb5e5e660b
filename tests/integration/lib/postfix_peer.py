"""A private Postfix instance acting as another MSSanté operator, for tests and benchmarks, entirely in a temp dir.

    pki = ensure_pki()
    with PostfixPeer(pki, "gamma", routes={"alpha.mssante.test": ("127.0.0.1", mssgw_port)}) as gamma:
        r = gamma.send("dr@alpha.mssante.test", "u1@gamma.mssante.test", data)   # MX, STARTTLS + alpha's cert
        msg = gamma.wait_for_message("u1@gamma.mssante.test")
        gamma.submit("u1@gamma.mssante.test", "x@alpha.mssante.test", data)       # goes out to mssgw over mTLS

What the instance is (everything under self.dir = /tmp/mssgw-peer-postfix-XXXX; `postfix -c self.confdir ...`):
- MX listener 127.0.0.1:mx_port, operator-like: STARTTLS required before MAIL (smtpd_tls_security_level =
  encrypt, 530 otherwise), a client certificate asked for and required to chain to pki.anchors
  (smtpd_tls_req_ccert: "421 4.7.1 ... Client certificate not trusted" / "No client certificate presented" after
  the handshake), TLS >= 1.2, the operator's chain as server certificate, TLS facts in the Received header.
  It accepts only its own domains (no relay: 554 5.7.1 "Relay access denied") and, when `mailboxes` is given, only
  those recipients (550 5.1.1).
- Submission listener 127.0.0.1:submission_port: STARTTLS offered but optional, relays for 127.0.0.0/8. Tests use
  it (submit()) to make the operator send mail out; smtp-source uses it for plaintext reference figures.
- Local delivery: virtual(8) into Maildirs under self.maildir_root (<domain>/<local part>/ per listed mailbox,
  <domain>/_catchall/ for the rest), or, with `lmtp=DovecotPeer`, LMTP to that Dovecot.
- Outbound: `routes` {domain: (host, port[, expected server name])} and `relayhost` (host, port[, name]) go over
  TLS >= 1.2 with mandatory verification (smtp_tls_security_level = secure, CA = pki.anchors, the name matched
  against the server certificate's SAN; default "mx.<domain>" for routes, "localhost" for the relayhost), and
  present the operator's chain as client certificate. Other domains bounce (DNS is disabled).
- Logging to self.maillog (maillog_file); quick retries (minimal_backoff_time 2 s, queue_run_delay 2 s) so that
  tests do not wait minutes for a deferred message; override with extra_main_cf.

The system's Postfix (/etc/postfix, /var/spool/postfix) is never read or written: every parameter is given
explicitly (Debian's package may be installed with "No configuration"). Runs as root (Postfix's master requires it).
Processes: start() returns once both listeners accept connections; stop() is idempotent, waits for the master to
exit, and removes the directory unless keep=True or MSSGW_KEEP_PEERS=1. Instances are also stopped at exit and on
SIGTERM (instances.py). Not thread-safe: drive one instance from one thread.
"""
import os
import shutil
import signal
import subprocess
import time

import instances
import maildir
from ports import HOST, free_ports, wait_for_port
from smtp_client import smtp_send

DAEMON_DIRECTORY = "/usr/lib/postfix/sbin"
VMAIL_UID = 65534  # nobody/nogroup: virtual(8) refuses root, and tests read the Maildirs as root anyway
VMAIL_GID = 65534


class PostfixError(RuntimeError):
    pass


def _postfix_bin(name):
    for d in ("/usr/sbin", "/usr/bin", "/sbin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    raise PostfixError(f"{name} not found: install the postfix package (scripts/install-deps.sh)")


def _teardown_stale(path):
    """Stops the master of an instance directory left by a dead test process (identified by MAIL_CONFIG)."""
    conf = os.path.join(path, "conf")
    pid = instances.read_pid(os.path.join(path, "queue", "pid", "master.pid"))
    if pid and instances.pid_alive(pid) and instances.process_env(pid).get("MAIL_CONFIG") == conf:
        os.kill(pid, signal.SIGTERM)
        if not instances.wait_pid_gone(pid, 5):
            os.kill(pid, signal.SIGKILL)
            instances.wait_pid_gone(pid, 5)


class PostfixPeer:
    """A private Postfix instance. Constructor arguments (all but pki optional):

    pki            TestPKI from pki.ensure_pki()
    operator       name of the operator credential in the PKI: "gamma" (default), "beta", "alpha"...
    domain         mail domain served (default: the operator's, e.g. gamma.mssante.test); extra_domains: more
    hostname       myhostname (default: the certificate's name, mx.<operator>.mssante.test)
    mx_port, submission_port   fixed ports (default: free ports chosen at construction)
    mailboxes      local parts or addresses accepted at RCPT (None: every address of the domains)
    lmtp           a DovecotPeer (started or not): deliver over LMTP to it instead of Maildirs here
    routes         {domain: (host, port) or (host, port, server_name)} outbound over verified mutual TLS
    relayhost      (host, port) or (host, port, server_name) for every other non-local domain
    tls_level      outbound TLS level for routes: "secure" (default: verify chain + name) or "verify"/"encrypt"
    require_client_cert   MX requires a trusted client certificate (default True)
    extra_main_cf  {parameter: value} appended to main.cf (overrides the defaults above)
    keep           keep the directory after stop() (also: environment MSSGW_KEEP_PEERS=1)
    """

    def __init__(self, pki, operator="gamma", *, domain=None, extra_domains=(), hostname=None, mx_port=None,
                 submission_port=None, mailboxes=None, lmtp=None, routes=None, relayhost=None, tls_level="secure",
                 require_client_cert=True, extra_main_cf=None, keep=False):
        self.pki = pki
        self.credential = pki.operator(operator) if isinstance(operator, str) else operator
        self.operator = self.credential.name
        self.domain = (domain or self.credential.domain).lower()
        self.domains = [self.domain] + [d.lower() for d in extra_domains]
        self.hostname = hostname or self.credential.hostname
        ports = free_ports(2)
        self.mx_port = mx_port or ports[0]
        self.submission_port = submission_port or ports[1]
        self.mailboxes = None if mailboxes is None else [
            m.lower() if "@" in m else f"{m.lower()}@{self.domain}" for m in mailboxes]
        self.lmtp = lmtp
        self.routes = dict(routes or {})
        self.relayhost = relayhost
        self.tls_level = tls_level
        self.require_client_cert = require_client_cert
        self.extra_main_cf = dict(extra_main_cf or {})
        self.keep = keep or os.environ.get("MSSGW_KEEP_PEERS") == "1"
        self.dir = None
        self.master_pid = 0
        self.check_warnings = []
        self.started = False

    # ----- paths -----
    @property
    def confdir(self):
        return os.path.join(self.dir, "conf")

    @property
    def queue_dir(self):
        return os.path.join(self.dir, "queue")

    @property
    def maildir_root(self):
        return os.path.join(self.dir, "mail")

    @property
    def maillog(self):
        return os.path.join(self.dir, "maillog")

    @property
    def syslog_name(self):
        return f"postfix-{self.operator}-{os.path.basename(self.dir).rsplit('-', 1)[-1]}"

    @property
    def mx(self):
        return (HOST, self.mx_port)

    @property
    def submission(self):
        return (HOST, self.submission_port)

    def __repr__(self):
        return f"PostfixPeer({self.operator}, {self.domain}, mx={self.mx_port}, dir={self.dir})"

    # ----- configuration -----
    def _main_cf(self):
        d = self.dir
        cred = self.credential
        p = {
            # Where everything lives: only inside self.dir (plus Postfix's own programs).
            "compatibility_level": "3.6",
            "config_directory": self.confdir,
            "queue_directory": self.queue_dir,
            "data_directory": os.path.join(d, "data"),
            "meta_directory": "/etc/postfix",     # postfix-files, postfix-script (read only)
            "daemon_directory": DAEMON_DIRECTORY,
            "shlib_directory": "/usr/lib/postfix",
            "command_directory": "/usr/sbin",
            "sendmail_path": "/usr/sbin/sendmail",
            "newaliases_path": "/usr/bin/newaliases",
            "mailq_path": "/usr/bin/mailq",
            "manpage_directory": "/usr/share/man",
            "sample_directory": "/etc/postfix",
            "readme_directory": "no",
            "html_directory": "no",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "syslog_name": self.syslog_name,
            "maillog_file": self.maillog,
            "maillog_file_prefixes": d,
            "multi_instance_enable": "no",
            # Network: loopback only, no DNS.
            "inet_interfaces": HOST,
            "inet_protocols": "ipv4",
            "myhostname": self.hostname,
            "mydomain": self.domain,
            "myorigin": "$mydomain",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": "",
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "lmtp_host_lookup": "native",
            "biff": "no",
            "append_dot_mydomain": "no",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "smtpd_banner": "$myhostname ESMTP",
            # Local mailboxes.
            "virtual_mailbox_domains": " ".join(self.domains),
            "virtual_mailbox_maps": f"texthash:{self.confdir}/vmailbox",
            "virtual_mailbox_base": self.maildir_root,
            "virtual_uid_maps": f"static:{VMAIL_UID}",
            "virtual_gid_maps": f"static:{VMAIL_GID}",
            "virtual_minimum_uid": "100",
            "transport_maps": f"texthash:{self.confdir}/transport",
            # Inbound TLS (MX): required, with a trusted client certificate.
            "smtpd_tls_chain_files": f"{cred.key}, {cred.chain}",
            "smtpd_tls_CAfile": self.pki.anchors,
            "smtpd_tls_security_level": "encrypt",
            "smtpd_tls_ask_ccert": "yes",
            "smtpd_tls_req_ccert": "yes" if self.require_client_cert else "no",
            "smtpd_tls_protocols": ">=TLSv1.2",
            "smtpd_tls_mandatory_protocols": ">=TLSv1.2",
            "smtpd_tls_received_header": "yes",
            "smtpd_tls_loglevel": "1",
            "smtpd_tls_session_cache_database": "btree:${data_directory}/smtpd_scache",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_recipient_restrictions": "",
            # Outbound TLS: verified, presenting the operator's certificate.
            "smtp_tls_chain_files": f"{cred.key}, {cred.chain}",
            "smtp_tls_CAfile": self.pki.anchors,
            "smtp_tls_security_level": self.tls_level,
            "smtp_tls_policy_maps": f"texthash:{self.confdir}/tls_policy",
            "smtp_tls_protocols": ">=TLSv1.2",
            "smtp_tls_mandatory_protocols": ">=TLSv1.2",
            "smtp_tls_loglevel": "1",
            "smtp_tls_session_cache_database": "btree:${data_directory}/smtp_scache",
            "relayhost": "",
            # Tests should not wait minutes for a retry.
            "queue_run_delay": "2s",
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "10s",
        }
        if self.lmtp is not None:
            p["virtual_transport"] = f"lmtp:inet:{HOST}:{self.lmtp.lmtp_port}"
        if self.relayhost is not None:
            p["relayhost"] = f"[{self.relayhost[0]}]:{self.relayhost[1]}"
        p.update({k: str(v) for k, v in self.extra_main_cf.items()})
        return "".join(f"{k} = {v}\n" for k, v in p.items())

    def _master_cf(self):
        mx = f"{HOST}:{self.mx_port} inet n - n - - smtpd\n"
        sub = (f"{HOST}:{self.submission_port} inet n - n - - smtpd\n"
               f"  -o syslog_name={self.syslog_name}/submission\n"
               "  -o smtpd_tls_security_level=may\n"
               "  -o smtpd_tls_req_ccert=no\n"
               "  -o smtpd_relay_restrictions=permit_mynetworks,reject\n")
        services = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
        return mx + sub + services

    def _maps(self):
        vmailbox = []
        if self.mailboxes is None:
            vmailbox += [f"@{d} {d}/_catchall/" for d in self.domains]
        else:
            for addr in self.mailboxes:
                local, dom = addr.split("@", 1)
                vmailbox.append(f"{addr} {dom}/{local}/")
        transport, policy = [], []
        for dom, route in self.routes.items():
            host, port = route[0], route[1]
            name = route[2] if len(route) > 2 else f"mx.{dom}"
            transport.append(f"{dom.lower()} smtp:[{host}]:{port}")
            policy.append(f"[{host}]:{port} {self.tls_level} match={name}")
        if self.relayhost is not None:
            host, port = self.relayhost[0], self.relayhost[1]
            name = self.relayhost[2] if len(self.relayhost) > 2 else "localhost"
            policy.append(f"[{host}]:{port} {self.tls_level} match={name}")
        return {"vmailbox": vmailbox, "transport": transport, "tls_policy": policy}

    # ----- lifecycle -----
    def _run(self, *args, check=True, timeout=60):
        # Output goes through a file: `postfix start` leaves a daemon that could hold a pipe open.
        with open(os.path.join(self.dir, "command.out"), "w+") as out:
            rc = subprocess.run(list(args), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                timeout=timeout).returncode
            out.seek(0)
            p = subprocess.CompletedProcess(args, rc, out.read(), "")
        if check and p.returncode != 0:
            raise PostfixError(f"{' '.join(args)} failed (exit {p.returncode}):\n{p.stdout}{p.stderr}"
                               f"\n--- maillog tail ---\n{self.log_tail(20)}")
        return p

    def _postfix(self, *args, check=True, timeout=60):
        return self._run(_postfix_bin("postfix"), "-c", self.confdir, *args, check=check, timeout=timeout)

    def _log_problems(self, offset):
        try:
            with open(self.maillog, errors="replace") as f:
                f.seek(offset)
                lines = f.read().splitlines()
        except OSError:
            return []
        return [l for l in lines if any(w in l for w in ("warning:", "fatal:", "error:", "panic:"))]

    def _age_config(self):
        # The postfix command re-reads main.cf every 300 ms until the file is a few seconds old (so it never acts
        # on a file being edited): 2.5 s per start. Our files are complete, so date them back.
        past = time.time() - 10
        for name in os.listdir(self.confdir):
            os.utime(os.path.join(self.confdir, name), (past, past))

    def start(self):
        if self.started:
            return self
        instances.reap_stale("postfix", _teardown_stale)
        self.dir = instances.make_instance_dir("postfix")
        instances.register(self)
        try:
            os.makedirs(self.confdir)
            os.makedirs(self.queue_dir)
            data = os.path.join(self.dir, "data")
            os.makedirs(data, mode=0o700)
            shutil.chown(data, "postfix", "postfix")
            os.makedirs(self.maildir_root, mode=0o700)
            os.chown(self.maildir_root, VMAIL_UID, VMAIL_GID)
            with open(os.path.join(self.confdir, "main.cf"), "w") as f:
                f.write(self._main_cf())
            with open(os.path.join(self.confdir, "master.cf"), "w") as f:
                f.write(self._master_cf())
            for name, lines in self._maps().items():
                with open(os.path.join(self.confdir, name), "w") as f:
                    f.write("".join(l + "\n" for l in lines))
            open(self.maillog, "a").close()
            self._age_config()
            # `postfix check` creates the queue directories with their owners (postfix, postdrop) and reports
            # problems; with maillog_file set, its warnings go to the maillog, so read them back from there.
            p = self._postfix("check", check=False)
            problems = self._log_problems(0)
            self.check_warnings = problems
            if p.returncode != 0 or any("fatal:" in l for l in problems):
                raise PostfixError(f"postfix -c {self.confdir} check failed (exit {p.returncode}):\n"
                                   f"{p.stdout}{p.stderr}" + "\n".join(problems))
            self._postfix("start")
            self.master_pid = instances.read_pid(os.path.join(self.queue_dir, "pid", "master.pid"))
            for port in (self.mx_port, self.submission_port):
                if not wait_for_port(HOST, port, 15):
                    raise PostfixError(f"Postfix {self.operator} does not listen on {HOST}:{port}\n"
                                       f"{self.log_tail(30)}")
            self.started = True
            return self
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Stops the instance (graceful, then SIGKILL after 10 s) and removes its directory. Idempotent."""
        if self.dir is None:
            return
        pid = self.master_pid or instances.read_pid(os.path.join(self.queue_dir, "pid", "master.pid"))
        if pid and instances.pid_alive(pid):
            try:
                self._postfix("stop", check=False, timeout=30)
            except subprocess.TimeoutExpired:
                pass
            if not instances.wait_pid_gone(pid, 10) and \
                    instances.process_env(pid).get("MAIL_CONFIG") == self.confdir:
                os.kill(pid, signal.SIGKILL)
                instances.wait_pid_gone(pid, 5)
        self.started = False
        self.master_pid = 0
        instances.unregister(self)
        if self.keep:
            open(os.path.join(self.dir, "KEEP"), "w").close()
            print(f"PostfixPeer {self.operator}: kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def kill(self):
        """SIGKILL the master (crash simulation); the directory stays until stop()."""
        if self.master_pid and instances.pid_alive(self.master_pid):
            os.kill(self.master_pid, signal.SIGKILL)
            instances.wait_pid_gone(self.master_pid, 5)
        self.started = False

    def reload(self):
        """Rewrites the configuration from the current attributes and reloads (routes, mailboxes...)."""
        with open(os.path.join(self.confdir, "main.cf"), "w") as f:
            f.write(self._main_cf())
        for name, lines in self._maps().items():
            with open(os.path.join(self.confdir, name), "w") as f:
                f.write("".join(l + "\n" for l in lines))
        self._age_config()
        self._postfix("reload")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ----- driving it -----
    def send(self, mail_from, rcpt_to, data, *, credential="alpha", starttls=True, server_name=None, **kw):
        """One transaction on the MX port, STARTTLS with `credential` (a PKI Credential, an operator name, or None
        for no client certificate), verifying the server against the anchors (and server_name if given).
        Returns smtp_client.Result (never raises for SMTP or TLS refusals)."""
        cred = self.pki.operator(credential) if isinstance(credential, str) else credential
        ctx = self.pki.client_context(cred, server_name=server_name)
        return smtp_send(HOST, self.mx_port, mail_from, rcpt_to, data, context=ctx, starttls=starttls,
                         server_hostname=server_name, **kw)

    def submit(self, mail_from, rcpt_to, data, **kw):
        """One transaction on the submission port (plaintext, relay allowed from 127.0.0.1): how a test makes this
        operator send mail out through its routes. Returns smtp_client.Result."""
        return smtp_send(HOST, self.submission_port, mail_from, rcpt_to, data, starttls=False, **kw)

    def postconf(self, *names):
        p = self._run(_postfix_bin("postconf"), "-c", self.confdir, "-h", *names)
        return p.stdout.splitlines()

    def queue(self):
        """The queue as Postfix reports it (`postqueue -j`): a list of dicts."""
        import json
        p = self._run(_postfix_bin("postqueue"), "-c", self.confdir, "-j")
        return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]

    def queue_is_empty(self):
        return not self.queue()

    def wait_for_queue_empty(self, timeout=30):
        return maildir.wait_for(self.queue_is_empty, timeout, 0.2)

    def flush(self):
        """Retries deferred mail now (`postqueue -f`)."""
        self._run(_postfix_bin("postqueue"), "-c", self.confdir, "-f")

    # ----- what arrived -----
    def messages(self, recipient=None, predicate=None):
        """Messages delivered locally (to its Maildirs, or to its Dovecot when lmtp is set), optionally only those
        for `recipient` and/or matching `predicate(Message)`. Each Message has a .path attribute."""
        if self.lmtp is not None:
            return self.lmtp.messages(recipient, predicate)
        return maildir.find_messages(self.maildir_root, recipient, predicate)

    def wait_for_message(self, recipient, timeout=15, predicate=None):
        """The first message delivered to `recipient` (matching predicate), or None after `timeout` seconds."""
        found = maildir.wait_for(lambda: self.messages(recipient, predicate), timeout, 0.1)
        return found[0] if found else None

    def count_messages(self):
        """How many messages were delivered locally, all mailboxes together."""
        if self.lmtp is not None:
            return self.lmtp.count_messages()
        return maildir.count_messages(self.maildir_root)

    def deliveries(self, local_only=True):
        """How many recipients Postfix has delivered to its own Maildirs since it started (virtual(8) "status=sent
        (delivered to maildir)" log lines), or with local_only=False every "status=sent" (relayed, LMTP too).
        Cheap to poll during a benchmark (with lmtp=, DovecotPeer.deliveries() counts what Dovecot saved)."""
        counters = self.__dict__.setdefault("_log_counters", {})
        key = (self.maillog, local_only)
        if key not in counters:
            counters[key] = maildir.LogCounter(self.maillog, ", status=sent (delivered to maildir)" if local_only
                                               else ", status=sent (")
        return counters[key].count()

    # ----- logs -----
    def log_text(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])
