"""Reading the Maildirs that test peers deliver into (Postfix virtual(8) and Dovecot both write Maildir++).

Only new/ and cur/ hold delivered messages; tmp/ holds deliveries in progress and is ignored.
"""
import email
import email.policy
import os
import time


def message_files(root):
    """Paths of every delivered message under `root` (any depth), oldest first by modification time."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.basename(dirpath) in ("new", "cur"):
            for name in filenames:
                out.append(os.path.join(dirpath, name))
    try:
        out.sort(key=lambda p: os.stat(p).st_mtime_ns)
    except FileNotFoundError:  # moved from new/ to cur/ while we looked (an IMAP client)
        pass
    return out


def count_messages(root):
    """How many delivered messages are under `root`: cheap enough to poll during a benchmark."""
    n = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.basename(dirpath) in ("new", "cur"):
            n += len(filenames)
            dirnames[:] = []
    return n


def read_message(path):
    """The message at `path` as an email.message.Message (compat32 policy: headers kept as they are)."""
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.compat32)


def addresses_in(msg, names=("Delivered-To", "X-Original-To")):
    out = set()
    for name in names:
        for value in msg.get_all(name) or []:
            out.add(value.strip().strip("<>").lower())
    return out


def find_messages(root, recipient=None, predicate=None):
    """Messages under `root`. recipient: keep those whose Delivered-To / X-Original-To names it (case-insensitive);
    predicate: a function Message -> bool."""
    found = []
    for path in message_files(root):
        try:
            msg = read_message(path)
        except FileNotFoundError:
            continue
        if recipient is not None and recipient.lower() not in addresses_in(msg):
            continue
        if predicate is not None and not predicate(msg):
            continue
        msg.path = path
        found.append(msg)
    return found


def wait_for(fn, timeout, interval=0.05):
    """Calls fn() until it returns something truthy or `timeout` seconds pass; returns the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


class LogCounter:
    """Counts lines containing `needle` in a growing log file, reading only what was appended since the last call:
    cheap enough to poll every few milliseconds during a benchmark (walking Maildirs of thousands of files is not:
    ~25 ms per walk for 4,000 messages here, which would steal CPU from the server being measured)."""

    def __init__(self, path, needle):
        self.path = path
        self.needle = needle.encode() if isinstance(needle, str) else needle
        self.offset = 0
        self.partial = b""
        self.total = 0

    def count(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return self.total
        self.offset += len(data)
        data = self.partial + data
        cut = data.rfind(b"\n") + 1
        self.partial = data[cut:]
        self.total += data[:cut].count(self.needle)
        return self.total
