#!/usr/bin/env python3
"""mssgw and Dovecot side by side, in the same run (issue 5, "Benchmark"):

1. Throughput on the mix of bench_imap_load (LOGIN, SELECT, FETCH headers, FETCH bodies, STORE, SEARCH, APPEND,
   STORE+EXPUNGE, IDLE, LOGOUT: 11 commands per full session), N concurrent clients, plaintext on loopback, each
   client its own user with --populate messages.
2. Resident memory per idle IDLE connection at --connections connections: proportional set size (PSS, so Dovecot's
   many processes are not counted for the pages they share) of every server process, before and after the
   connections are idling, divided by the number of connections. Dovecot with imap_hibernate_timeout (its idle
   connections move to imap-hibernate; measured once none is left in an imap process), plaintext and STARTTLS,
   and, with --dovecot-default, without (one imap process per connection); mssgw in plaintext and with implicit
   TLS, each from a freshly started process. fs.inotify.max_user_instances is raised for the run (Dovecot needs
   one instance per idling connection to hibernate it) and restored at the end.

    MSSGW_BUILD_DIR=build python3 bench/imap_compare.py [--clients 20] [--duration 20] [--populate 50]
        [--connections 1000] [--dovecot-default] [--json FILE]

Runs as root (Dovecot's master needs it), everything on 127.0.0.1 in temp dirs under /tmp; the test PKI of
tests/integration/lib for mssgw's TLS. Prints a table and the issue's ratios.
"""
import argparse
import base64
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("MSSGW_BUILD_DIR") or sys.exit("MSSGW_BUILD_DIR is not set")
SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("MSSGW_SOURCE_DIR", SOURCE)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration", "lib"))
from dovecot_peer import DovecotPeer  # noqa: E402
from pki import ensure_pki  # noqa: E402
from ports import HOST, free_ports, wait_for_port  # noqa: E402

MSSGW = os.path.join(BUILD, "app", "mssgw")
LOAD = os.path.join(BUILD, "bench", "bench_imap_load")
USER = "u%d@bench.test"


def pss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def descendants(pid):
    out, todo = [pid], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def run_mix(port, args, label):
    cmd = [LOAD, "--port", str(port), "--clients", str(args.clients), "--duration", str(args.duration),
           "--populate", str(args.populate), "--user", USER, "--password", "secret", "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration * 4 + 300)
    try:
        result = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"{label}: load generator failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
        return None
    return result


def idle_memory(pids_fn, port, args, label, tls=None, settle=0.0, tls_mode="implicit"):
    """PSS of the server's processes before and after `connections` IDLE connections."""
    time.sleep(1)
    before = pss_kb(pids_fn())
    cmd = [LOAD, "--mode", "idle", "--port", str(port), "--connections", str(args.connections), "--user", USER,
           "--users", str(args.clients), "--password", "secret"]
    if tls:
        cmd += ["--tls", tls_mode, "--ca", tls]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    ready = int(line.split()[1]) if line.startswith("READY") else 0
    if callable(settle):
        settle()
    else:
        time.sleep(settle)
    after = pss_kb(pids_fn())
    p.stdin.close()
    p.wait(60)
    per = (after - before) / max(ready, 1)
    print(f"  {label}: {ready} idle connections, PSS {before / 1024:.1f} -> {after / 1024:.1f} MiB: "
          f"{per:.1f} KiB per connection", flush=True)
    return {"ready": ready, "before_kib": before, "after_kib": after, "per_connection_kib": per}


def imap_processes(pids):
    """How many of `pids` are Dovecot imap processes (one per connection that has not hibernated)."""
    n = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                n += f.read().strip() == "imap"
        except OSError:
            pass
    return n


def wait_hibernated(master_pid, timeout=60.0):
    """Waits until no imap process is left under Dovecot's master (every idle connection moved to
    imap-hibernate, imap_hibernate_timeout after its IDLE began), then 1 s more; reports stragglers."""
    deadline = time.monotonic() + timeout
    while (n := imap_processes(descendants(master_pid))) and time.monotonic() < deadline:
        time.sleep(0.5)
    if n:
        print(f"  dovecot: {n} connections not hibernated after {timeout:.0f} s", flush=True)
    time.sleep(1)


class InotifyInstances:
    """Raises fs.inotify.max_user_instances for the run and restores it. Every Dovecot imap process in IDLE takes
    one inotify instance, all as the mail user; past the limit (128 by default) Dovecot logs "Inotify instance
    limit ... exceeded, disabling" and those connections never hibernate (IDLE falls back to polling)."""
    PATH = "/proc/sys/fs/inotify/max_user_instances"

    def __init__(self, wanted):
        self.wanted = wanted
        self.saved = None

    def __enter__(self):
        try:
            with open(self.PATH) as f:
                current = int(f.read())
            if current < self.wanted:
                with open(self.PATH, "w") as f:
                    f.write(str(self.wanted))
                self.saved = current
                print(f"fs.inotify.max_user_instances {current} -> {self.wanted} for this run", flush=True)
        except OSError as e:
            print(f"warning: cannot raise {self.PATH} ({e}): Dovecot may not hibernate every connection")
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            with open(self.PATH, "w") as f:
                f.write(str(self.saved))


def ssha512(password, salt):
    return "{SSHA512}" + base64.b64encode(hashlib.sha512(password.encode() + salt).digest() + salt).decode()


def start_mssgw(tmp, pki, users, args):
    state = os.path.join(tmp, "state")
    # BALs for the users: `mssgw bal create` beside the (not yet running) server, one process each.
    for i in range(1, users + 1):
        r = subprocess.run([MSSGW, "bal", "create", USER % i, "--owner", f"8{i:011d}", "--state", state],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bal create failed: {r.stderr}")
    with open(os.path.join(tmp, "users"), "w") as f:
        for i in range(1, users + 1):
            f.write(f"{USER % i}:{ssha512('secret', f'salt{i:04d}'.encode())}\n")
    plain, tls = free_ports(2)
    with open(os.path.join(tmp, "mssgw.toml"), "w") as f:
        f.write(f"""[server]
state_dir = "{state}"
hostname = "imap.bench.test"
threads = 2
[log]
file = "{tmp}/mssgw.log"
level = "warn"
[auth]
plain_enabled = true
users_file = "{tmp}/users"
[tls]
certificate = "{pki.alpha.chain}"
key = "{pki.alpha.key}"
trust_anchors = "{pki.anchors}"
crl_files = ["{pki.crl_all}"]
[imap]
listen = ["{HOST}:{plain}"]
listen_tls = ["{HOST}:{tls}"]
plaintext_auth_loopback = true
max_sessions = 100000
max_sessions_per_ip = 100000
max_sessions_per_identity = 10000
""")
    return serve_mssgw(tmp, plain), plain, tls


def serve_mssgw(tmp, plain, previous=None):
    """Starts `mssgw serve` on the config written by start_mssgw, after stopping `previous` (so that an idle
    measurement starts from a fresh process: memory freed by an earlier run would otherwise be reused unseen)."""
    if previous is not None:
        previous.terminate()
        previous.wait(30)
    proc = subprocess.Popen([MSSGW, "serve", "-c", os.path.join(tmp, "mssgw.toml")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    if not wait_for_port(HOST, plain, 20):
        sys.exit("mssgw did not start")
    return proc


DOVECOT_LIMITS = """
default_process_limit = 3000
default_client_limit = 10000
default_vsz_limit = 0
mail_max_userip_connections = 10000
service imap {
  process_limit = 3000
}
service imap-login {
  process_limit = 3000
}
service anvil {
  client_limit = 10000
}
"""
DOVECOT_HIBERNATE = """
imap_hibernate_timeout = 5s
service imap-hibernate {
  unix_listener imap-hibernate {
    mode = 0666
  }
}
service imap {
  unix_listener imap-master {
    mode = 0666
  }
}
"""

# Dovecot's "high-performance" login mode (its documentation's advice for many connections): a few imap-login
# processes each proxying many TLS connections, instead of one process per connection (service_count = 1).
DOVECOT_LOGIN_SHARED = """
service imap-login {
  service_count = 0
  process_min_avail = 2
  client_limit = 10000
  vsz_limit = 2G
}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--populate", type=int, default=50)
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--dovecot-default", action="store_true", help="also measure Dovecot without hibernation")
    ap.add_argument("--skip-mix", action="store_true")
    ap.add_argument("--skip-idle", action="store_true")
    ap.add_argument("--skip-dovecot-tls", action="store_true", help="no idle measurement of Dovecot with TLS")
    ap.add_argument("--json")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, 4 * args.connections + 1024)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
    for tool in (MSSGW, LOAD):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} is missing: ninja -C {BUILD} mssgw bench_imap_load")
    pki = ensure_pki()
    results = {"clients": args.clients, "duration": args.duration, "populate": args.populate,
               "connections": args.connections}
    tmp = tempfile.mkdtemp(prefix="mssgw-imap-bench-")
    mssgw = None
    try:
        mssgw, plain, tls = start_mssgw(tmp, pki, args.clients, args)
        with InotifyInstances(args.connections + 1024), \
                DovecotPeer(extra_conf=DOVECOT_LIMITS + DOVECOT_HIBERNATE) as dovecot:
            print(f"mssgw on {plain}/{tls}, Dovecot (hibernation after 5 s) on {dovecot.imap_port}", flush=True)
            if not args.skip_mix:
                print(f"mix: {args.clients} clients, {args.duration:.0f} s, {args.populate} messages per user",
                      flush=True)
                for label, port in (("dovecot", dovecot.imap_port), ("mssgw", plain)):
                    r = run_mix(port, args, label)
                    results[f"mix_{label}"] = r
                    if r:
                        print(f"  {label}: {r['sessions_per_s']:.1f} sessions/s, {r['commands_per_s']:.0f} "
                              f"commands/s, {r['failures']} failures", flush=True)
                        for k, v in sorted(r["latency_ms"].items()):
                            print(f"      {k:14s} p50 {v['p50']:7.2f} ms  p99 {v['p99']:7.2f} ms", flush=True)
            if not args.skip_idle:
                print(f"idle IDLE connections: {args.connections}", flush=True)
                results["idle_dovecot_hibernated"] = idle_memory(
                    lambda: descendants(dovecot.master_pid), dovecot.imap_port, args, "dovecot (hibernated)",
                    settle=lambda: wait_hibernated(dovecot.master_pid))
                mssgw = serve_mssgw(tmp, plain, mssgw)
                results["idle_mssgw_plain"] = idle_memory(lambda: [mssgw.pid], plain, args, "mssgw plaintext")
                mssgw = serve_mssgw(tmp, plain, mssgw)
                results["idle_mssgw_tls"] = idle_memory(lambda: [mssgw.pid], tls, args, "mssgw implicit TLS",
                                                        tls=pki.anchors)
        if not args.skip_idle and not args.skip_dovecot_tls:
            # Dovecot with TLS (STARTTLS, alpha's certificate): imap-login stays the TLS proxy of its connections
            # (hibernation saves only the imap process); login processes shared (DOVECOT_LOGIN_SHARED).
            with InotifyInstances(args.connections + 1024), \
                    DovecotPeer(tls=pki.alpha, extra_conf=DOVECOT_LIMITS + DOVECOT_HIBERNATE +
                                DOVECOT_LOGIN_SHARED) as tls_dovecot:
                results["idle_dovecot_tls_hibernated"] = idle_memory(
                    lambda: descendants(tls_dovecot.master_pid), tls_dovecot.imap_port, args,
                    "dovecot STARTTLS (hibernated)", tls=pki.anchors, tls_mode="starttls",
                    settle=lambda: wait_hibernated(tls_dovecot.master_pid))
        if args.dovecot_default and not args.skip_idle:
            with DovecotPeer(extra_conf=DOVECOT_LIMITS) as plain_dovecot:
                results["idle_dovecot_default"] = idle_memory(
                    lambda: descendants(plain_dovecot.master_pid), plain_dovecot.imap_port, args,
                    "dovecot (no hibernation)", settle=2.0)
    finally:
        if mssgw is not None:
            mssgw.terminate()
            mssgw.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)

    print("\nsummary")
    md, mm = results.get("mix_dovecot"), results.get("mix_mssgw")
    if md and mm:
        ratio = mm["commands_per_s"] / max(md["commands_per_s"], 0.1)
        print(f"  mix: mssgw {mm['sessions_per_s']:.1f} sessions/s {mm['commands_per_s']:.0f} commands/s; dovecot "
              f"{md['sessions_per_s']:.1f} sessions/s {md['commands_per_s']:.0f} commands/s: x{ratio:.2f} "
              f"(target >= 3)")
    dh, mp = results.get("idle_dovecot_hibernated"), results.get("idle_mssgw_plain")
    if dh and mp:
        print(f"  idle: mssgw {mp['per_connection_kib']:.1f} KiB/connection (TLS "
              f"{results['idle_mssgw_tls']['per_connection_kib']:.1f}); dovecot hibernated "
              f"{dh['per_connection_kib']:.1f} KiB (target: mssgw <= dovecot hibernated)")
    if results.get("idle_dovecot_tls_hibernated"):
        print(f"  dovecot STARTTLS hibernated: "
              f"{results['idle_dovecot_tls_hibernated']['per_connection_kib']:.1f} KiB")
    if results.get("idle_dovecot_default"):
        print(f"  dovecot without hibernation: {results['idle_dovecot_default']['per_connection_kib']:.1f} KiB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
