"""Bookkeeping shared by the private server instances that tests start (PostfixPeer, DovecotPeer).

- make_instance_dir(kind): a fresh directory /tmp/mssgw-peer-<kind>-XXXX, mode 0755 (the daemons drop privileges
  and must traverse it), with an OWNER file naming this process. It is the instance's whole world: config, queue,
  mailboxes and logs live inside, so the system's own Postfix and Dovecot are never touched.
- register(instance) / unregister: every started instance is stopped at interpreter exit, and SIGTERM/SIGINT/SIGHUP
  are turned into SystemExit so that `with` blocks, finally clauses and atexit run (ctest sends SIGTERM on timeout).
- reap_stale(kind, teardown): instance directories whose OWNER process is dead (a test killed with SIGKILL) are torn
  down by `teardown(path)` and removed, so orphaned daemons do not pile up across runs.
- process helpers: pid_alive, wait_pid_gone, process_env (to identify a daemon before signalling it).
Nothing here kills a process that it cannot tie to an instance directory created by this library.
"""
import atexit
import os
import shutil
import signal
import tempfile
import time

PREFIX = "mssgw-peer-"
_live = []
_handlers_installed = False


def base_tmp():
    return os.environ.get("MSSGW_PEER_TMP") or tempfile.gettempdir()


def make_instance_dir(kind, parent=None):
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-", dir=parent or base_tmp())
    os.chmod(path, 0o755)
    with open(os.path.join(path, "OWNER"), "w") as f:
        f.write(f"{os.getpid()} {kind}\n")
    return path


def pid_alive(pid):
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_pid_gone(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def process_env(pid):
    """The environment of a process as a dict ({} if unreadable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    env = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode(errors="replace")] = v.decode(errors="replace")
    return env


def process_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(sig, _on_signal)
        except ValueError:  # not the main thread
            pass
    atexit.register(stop_all)


def register(instance):
    _install_handlers()
    if instance not in _live:
        _live.append(instance)


def unregister(instance):
    if instance in _live:
        _live.remove(instance)


def stop_all():
    for instance in list(reversed(_live)):
        try:
            instance.stop()
        except Exception as e:  # keep stopping the others
            print(f"warning: stopping {instance!r} failed: {e}")


def reap_stale(kind, teardown):
    """Tears down instance directories of `kind` left by processes that no longer exist."""
    root = base_tmp()
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        if not name.startswith(f"{PREFIX}{kind}-"):
            continue
        path = os.path.join(root, name)
        owner = read_pid(os.path.join(path, "OWNER"))
        if owner == 0 or pid_alive(owner):
            continue
        if os.path.exists(os.path.join(path, "KEEP")):
            continue  # kept on purpose for debugging
        try:
            teardown(path)
        except Exception as e:
            print(f"warning: cleaning stale {path} failed: {e}")
        shutil.rmtree(path, ignore_errors=True)
