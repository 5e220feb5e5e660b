#!/usr/bin/env python3
"""The real mssgw binary: --help, check-config, bal and queue commands on a state directory, and `serve`
(pid file, SIGHUP reload, admin commands beside a running server, graceful SIGTERM, state kept across restarts).
Prints one line per check and ends with 'N passed, M failed'."""
import json, os, signal, subprocess, sys, tempfile, time

MSSGW = os.environ.get("MSSGW") or sys.exit("MSSGW is not set")
passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}\n    {detail}")


def run(*args, cwd=None):
    p = subprocess.run([MSSGW, *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    return p.returncode, p.stdout, p.stderr


with tempfile.TemporaryDirectory(prefix="mssgw-cli-") as tmp:
    state = os.path.join(tmp, "state")

    rc, out, err = run("--help")
    check(rc == 0 and all(c in out for c in
          ["serve", "check-config", "whitelist", "directory", "bal", "queue", "conversation"]),
          "--help lists every subcommand", out)
    rc, out, err = run("bal", "--help")
    check(rc == 0 and all(v in out for v in ["create", "list", "show", "delete", "grant", "revoke"]),
          "bal --help lists its verbs", out)

    # check-config: every error at once, file:line, exit 1; a good file passes.
    bad = os.path.join(tmp, "bad.toml")
    with open(bad, "w") as f:
        f.write('[server]\nthreads = "two"\ncolour = "blue"\n[storage]\nbackend = "oracle"\n[nope]\n')
    rc, out, err = run("check-config", "-c", bad)
    lines = [l for l in err.splitlines() if l.startswith(bad)]
    check(rc == 1 and len(lines) == 4, "check-config reports all 4 errors and exits 1", err)
    check(any(l.startswith(f"{bad}:2:") and "server.threads" in l for l in lines), "error names file:line and key", err)
    good = os.path.join(tmp, "good.toml")
    with open(good, "w") as f:
        f.write(f'[server]\nstate_dir = "{state}"\nhostname = "mx.alpha.mssante.test"\n[log]\nformat = "json"\n')
    rc, out, err = run("check-config", "-c", good)
    check(rc == 0 and "ok" in out, "check-config accepts a valid file", err)
    rc, out, err = run("check-config", "-c", os.path.join(tmp, "missing.toml"))
    check(rc == 1 and "cannot read" in err, "check-config on a missing file exits 1", err)

    # bal: create, duplicate, invalid input, list/show JSON, grant/revoke, delete.
    rc, out, err = run("bal", "create", "Dupont@Alpha.MSSante.test", "--owner", "810001234567", "--name", "Dr Dupont",
                       "--state", state)
    check(rc == 0, "bal create PER", err)
    rc, out, err = run("bal", "create", "dupont@alpha.mssante.test", "--owner", "810001234567", "--state", state)
    check(rc == 1 and "already exists" in err, "bal create refuses a duplicate (case-insensitive)", err)
    rc, out, err = run("bal", "create", "not-an-address", "--type", "ORG", "--state", state)
    check(rc == 1 and "not a valid mailbox address" in err, "bal create refuses an invalid address", err)
    rc, out, err = run("bal", "create", "x@alpha.mssante.test", "--type", "PER", "--state", state)
    check(rc == 1 and "--owner" in err, "a PER BAL needs an owner", err)
    rc, out, err = run("bal", "create", "x@alpha.mssante.test", "--type", "XYZ", "--state", state)
    check(rc == 2, "an unknown BAL type is a usage error", err)
    rc, out, err = run("bal", "create", "secretariat@alpha.mssante.test", "--type", "org", "--state", state)
    check(rc == 0, "bal create ORG", err)
    rc, out, err = run("bal", "grant", "secretariat@alpha.mssante.test", "810001234567", "--rights", "read,send",
                       "--state", state)
    check(rc == 0, "bal grant", err)
    rc, out, err = run("bal", "grant", "secretariat@alpha.mssante.test", "810001234567", "--rights", "fly",
                       "--state", state)
    check(rc == 2, "bal grant refuses unknown rights", err)
    rc, out, err = run("bal", "show", "secretariat@alpha.mssante.test", "--json", "--state", state)
    try:
        shown = json.loads(out)
    except ValueError:
        shown = {}
    check(rc == 0 and shown.get("type") == "ORG" and
          shown.get("delegations") == [{"identity": "810001234567", "rights": "read,send"}] and
          sorted(m["name"] for m in shown.get("mailboxes", [])) ==
          ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"],
          "bal show --json: type, delegation, special-use mailboxes", out + err)
    rc, out, err = run("bal", "revoke", "secretariat@alpha.mssante.test", "810001234567", "--state", state)
    check(rc == 0, "bal revoke (all rights)", err)
    rc, out, err = run("bal", "revoke", "secretariat@alpha.mssante.test", "810001234567", "--state", state)
    check(rc == 1 and "no delegation" in err, "revoking twice is refused", err)
    rc, out, err = run("bal", "list", "--json", "--state", state)
    check(rc == 0 and sorted(b["address"] for b in json.loads(out)) ==
          ["dupont@alpha.mssante.test", "secretariat@alpha.mssante.test"], "bal list --json", out + err)
    with open(os.path.join(state, "audit.log")) as f:
        audit = f.read()
    check("bal.create" in audit and "bal.grant" in audit and "bal.revoke" in audit,
          "administrative changes are in <state>/audit.log", audit)

    rc, out, err = run("queue", "list", "--state", state)
    check(rc == 0 and "0 messages" in out, "queue list on an empty queue", out + err)
    rc, out, err = run("queue", "show", "00000000000000FF", "--state", state)
    check(rc == 1 and "no queued message" in err, "queue show of an unknown id exits 1", err)
    rc, out, err = run("whitelist", "show", "--state", state)
    check(rc != 0, "whitelist show without any whitelist does not claim success", err)
    rc, out, err = run("conversation", "show", "146026322000197", "--state", state)
    check(rc == 2 and "146026322000197" in err and "wrong key" in err,
          "conversation show refuses an INS with a wrong key, naming it (exit 2)", out + err)
    rc, out, err = run("conversation", "show", "1460263220001", "--state", state)
    check(rc == 2 and "not a matricule INS" in err, "conversation show refuses a malformed INS (exit 2)", out + err)
    rc, out, err = run("conversation", "show", "146026322000196@patient.mssante.fr", "--state", state)
    check(rc == 0 and "0 conversations" in out, "conversation show of a patient without conversations", out + err)

    # serve: pid file, reload, admin beside it, graceful stop, state kept.
    log_path = os.path.join(tmp, "serve.log")
    with open(log_path, "w") as log:
        srv = subprocess.Popen([MSSGW, "serve", "-c", good], stdout=log, stderr=subprocess.STDOUT)
    pid_file = os.path.join(state, "mssgw.pid")
    for _ in range(100):
        if os.path.exists(pid_file):
            break
        time.sleep(0.05)
    check(os.path.exists(pid_file) and open(pid_file).read().strip() == str(srv.pid), "serve writes its pid file")
    rc, out, err = run("bal", "create", "live@alpha.mssante.test", "--type", "APP", "--state", state)
    check(rc == 0, "an admin command works beside a running server", err)
    with open(good, "a") as f:
        f.write('[log.levels]\nstorage = "debug"\n')
    srv.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    with open(good, "a") as f:
        f.write('bogus = 1\n')
    srv.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    check(srv.poll() is None, "serve survives SIGHUP, even with a broken config")
    srv.send_signal(signal.SIGTERM)
    try:
        code = srv.wait(timeout=10)
    except subprocess.TimeoutExpired:
        srv.kill()
        code = None
    log_text = open(log_path).read()
    events = []
    for line in log_text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append({"unparsed": line})
    names = [e.get("event") for e in events]
    check(code == 0, "SIGTERM stops serve with exit 0", log_text)
    check(all("unparsed" not in e for e in events), "every log line is valid JSON with format = json", log_text)
    check("server.started" in names and "server.reloaded" in names and "server.reload.refused" in names
          and "server.stopped" in names, "start, reload, refused reload and stop are logged", log_text)
    check(not os.path.exists(pid_file), "the pid file is removed on exit")
    rc, out, err = run("bal", "show", "live@alpha.mssante.test", "--state", state)
    check(rc == 0, "state written beside the server is still there after it stopped", err)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
