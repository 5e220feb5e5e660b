#!/usr/bin/env python3
"""Integration test of the whitelist refresh (trustspace/refresher.hpp) with the real `mssgw` binary.

The test starts its own HTTPS server on 127.0.0.1 (a free port) with a certificate of the test PKI
(deploy/pki/make-test-pki.sh) and scripts its answers: 200 with validators, 304 when the validators match, 500, a
response slower than the client's timeout, a truncated body, garbage, an oversize body, and a server outside the
configured CA roots. After every failure the stored copy must still be the last good one. Then it checks the age
alarm (`whitelist show` and a running `mssgw serve`, whose log must say whitelist.stale, then whitelist.fresh), and
that SIGHUP makes the server refresh at once.

Environment (set by CTest): MSSGW (binary), MSSGW_SOURCE_DIR, MSSGW_BUILD_DIR.
Prints "ok - ..." / "not ok - ..." per check, then "N passed, M failed"; exits 1 on any failure.
"""
import http.server
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

MSSGW = os.environ.get("MSSGW", "mssgw")
SOURCE = os.environ.get("MSSGW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.environ.get("MSSGW_BUILD_DIR", os.path.join(SOURCE, "build"))

passed = 0
failed = 0


def check(description, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok - {description}")
    else:
        failed += 1
        print(f"not ok - {description}")
        if detail:
            for line in str(detail).splitlines()[-15:]:
                print(f"#   {line}")


# ---- the scripted HTTPS server ----

state = {"mode": "ok", "body": b"", "etag": '"v1"', "last_modified": "Thu, 13 Mar 2025 14:54:10 GMT"}
requests = []  # (path, {header: value})
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with lock:
            requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            mode, body, etag, lm = state["mode"], state["body"], state["etag"], state["last_modified"]
        if mode == "ok" or mode == "conditional":
            if mode == "conditional" and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", lm)
            self.end_headers()
            self.wfile.write(body)
        elif mode == "500":
            payload = b"<html><body>Internal Server Error</body></html>"
            self.send_response(500)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif mode == "sleep":
            time.sleep(6)  # longer than the client's 2 s timeout
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif mode == "truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"truncated"')
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif mode == "garbage":
            payload = os.urandom(3000)
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("ETag", '"garbage"')
            self.end_headers()
            self.wfile.write(payload)
        elif mode == "oversize":
            payload = b"<ListeBlancheMSSante>" + b" " * (3 << 20)
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except OSError:
                pass
        elif mode == "oversize-chunked":  # no Content-Length: the cap must hold while receiving
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(64):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # refused handshakes and clients that gave up are part of the script


def start_server(cert, key):
    server = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


# ---- helpers ----


def run(config, *args, timeout=30):
    p = subprocess.run([MSSGW, "-c", config, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def show(config):
    code, out, err = run(config, "whitelist", "show", "--json")
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        return {"error": out + err, "code": code}


def write_config(path, state_dir, url, ca, extra=""):
    with open(path, "w") as f:
        f.write(f"""[server]
state_dir = "{state_dir}"

[log]
level = "info"

[whitelist]
url = "{url}"
ca_file = "{ca}"
timeout = "2s"
connect_timeout = "2s"
max_size = "1MB"
{extra}
""")


def domaine(nom, dn, description="DOMAINE"):
    esc = dn.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f"        <Domaine>\n            <Nom>{nom}</Nom>\n            <Description>{description}</Description>\n"
            f"            <DNCertificatOperateur>{esc}</DNCertificatOperateur>\n"
            f"            <ResponsableContact>01 00 00 00 00, admin@{nom}</ResponsableContact>\n"
            f"            <SupportContact>01 00 00 00 01, support@{nom}</SupportContact>\n"
            f"            <DateMAJ>2025-03-13T14:54:10Z</DateMAJ>\n        </Domaine>\n")


def main():
    pki = os.path.join(BUILD, "test-pki")
    gen = subprocess.run(["bash", os.path.join(SOURCE, "deploy/pki/make-test-pki.sh"), pki], capture_output=True,
                         text=True)
    if gen.returncode != 0:
        check("test PKI generated", False, gen.stderr)
        return
    with open(os.path.join(pki, "whitelist.xml"), "rb") as f:
        v1 = f.read()
    new_entry = domaine("delta.mssante.test", "CN=mx.delta.mssante.test,OU=1750000077,O=CLINIQUE DELTA,"
                        "ST=Hauts-de-Seine (92),C=FR").encode()
    v2 = v1.replace(b"    </ListeDomaines>", new_entry + b"    </ListeDomaines>")

    tmp = tempfile.mkdtemp(prefix="mssgw-trustspace-")
    server = start_server(os.path.join(pki, "operators/alpha-chain.pem"), os.path.join(pki, "operators/alpha.key"))
    rogue = start_server(os.path.join(pki, "rogue/alpha-impostor.pem"), os.path.join(pki, "rogue/alpha-impostor.key"))
    serve = None
    try:
        port = server.server_address[1]
        url = f"https://127.0.0.1:{port}/listeblanchemssante.xml"
        anchors = os.path.join(pki, "trust/anchors.pem")
        state_dir = os.path.join(tmp, "state")
        cfg = os.path.join(tmp, "mssgw.toml")
        write_config(cfg, state_dir, url, anchors, 'max_age = "4s"')

        # -- 1. first download --
        state.update(mode="ok", body=v1, etag='"v1"')
        code, out, err = run(cfg, "whitelist", "refresh")
        check("refresh: 200 stores the copy (exit 0)", code == 0 and out.startswith("updated: 8 entries"), out + err)
        check("refresh: the first request is unconditional",
              requests and "if-none-match" not in requests[-1][1] and "if-modified-since" not in requests[-1][1],
              requests[-1:] if requests else "no request")
        good = show(cfg)
        check("show: 8 entries, 7 domains, 5 distinct DNs, fresh",
              good.get("entries") == 8 and good.get("domains") == 7 and good.get("distinct_dns") == 5
              and good.get("stale") is False and good.get("etag") == '"v1"', good)
        sha = good.get("sha256")

        # -- 2. check --
        code, out, _ = run(cfg, "whitelist", "check", "Alpha-Pharma.MSSante.test")
        check("check: a listed domain (any case) exits 0 and shows its DN",
              code == 0 and "CN=mx.alpha.mssante.test" in out, out)
        code, out, _ = run(cfg, "whitelist", "check", "unknown.example")
        check("check: an unlisted domain exits 1", code == 1 and "not listed" in out, out)
        code, out, _ = run(cfg, "whitelist", "check", "gamma.mssante.test", "--dn",
                           "CN=mx.gamma.mssante.test,OU=1690000026,O=CLINIQUE GAMMA,L=Lyon (69),C=FR")
        check("check --dn: the certificate form of a DN listed with spaces matches", code == 0, out)
        code, out, _ = run(cfg, "whitelist", "check", "alpha.mssante.test", "--dn",
                           "CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR")
        check("check --dn: another operator's DN exits 1", code == 1 and "NOT listed" in out, out)
        code, out, _ = run(cfg, "whitelist", "check", "patient.mssante.test", "--json")
        try:
            j = json.loads(out)
        except json.JSONDecodeError:
            j = {}
        check("check --json: patient.mssante.test has two DNs", code == 0 and len(j.get("dns", [])) == 2, out)

        # -- 3. 304 --
        state.update(mode="conditional")
        code, out, err = run(cfg, "whitelist", "refresh")
        check("refresh: 304 keeps the copy (exit 0, unchanged)", code == 0 and out.startswith("unchanged"), out + err)
        hdrs = requests[-1][1]
        check("refresh: If-None-Match and If-Modified-Since carry the stored validators",
              hdrs.get("if-none-match") == '"v1"' and hdrs.get("if-modified-since") == state["last_modified"], hdrs)

        # -- 4. failures: the copy survives each --
        failures = [
            ("HTTP 500", "500", "500"),
            ("a response slower than the timeout", "sleep", "timed out"),
            ("a truncated body", "truncated", ""),
            ("garbage", "garbage", ""),
            ("a body over max_size (Content-Length)", "oversize", "over"),
            ("a body over max_size (chunked)", "oversize-chunked", "over"),
        ]
        for name, mode, needle in failures:
            state.update(mode=mode)
            t0 = time.time()
            code, out, err = run(cfg, "whitelist", "refresh")
            elapsed = time.time() - t0
            check(f"refresh: {name} fails (exit 1)", code == 1 and needle in err, f"exit {code}\n{out}{err}")
            after = show(cfg)
            check(f"refresh: after {name}, the stored copy is unchanged",
                  after.get("sha256") == sha and after.get("entries") == 8 and after.get("etag") == '"v1"', after)
            if mode == "sleep":
                check("refresh: the timeout is honoured (about 2 s)", elapsed < 5, f"{elapsed:.1f} s")

        # -- 5. a server outside the CA roots --
        cfg_rogue = os.path.join(tmp, "rogue.toml")
        write_config(cfg_rogue, state_dir, f"https://127.0.0.1:{rogue.server_address[1]}/l.xml", anchors)
        state.update(mode="ok", body=v2)
        code, out, err = run(cfg_rogue, "whitelist", "refresh")
        check("refresh: a server whose certificate is not from the CA roots is refused", code == 1, out + err)
        check("refresh: and the copy is unchanged", show(cfg).get("sha256") == sha)
        cfg_http = os.path.join(tmp, "http.toml")
        write_config(cfg_http, state_dir, f"http://127.0.0.1:{port}/l.xml", anchors)
        code, out, err = run(cfg_http, "whitelist", "refresh")
        check("config: an http:// URL is a configuration error", code == 1 and "https://" in err, out + err)

        # -- 6. the alarm, from the CLI --
        time.sleep(4.5)
        aged = show(cfg)
        check("show: the copy is stale once older than max_age", aged.get("stale") is True
              and aged.get("age_seconds", 0) >= 4, aged)
        code, out, _ = run(cfg, "whitelist", "show")
        check("show: the text output says STALE", code == 0 and "STALE" in out, out)

        # -- 7. the alarm and SIGHUP in a running server --
        cfg_serve = os.path.join(tmp, "serve.toml")
        write_config(cfg_serve, state_dir, url, anchors, 'max_age = "3s"\nretry = "1s"\nrefresh = "1h"')
        state.update(mode="500")
        log_path = os.path.join(tmp, "serve.log")
        log = open(log_path, "w")
        serve = subprocess.Popen([MSSGW, "-c", cfg_serve, "serve"], stdout=log, stderr=subprocess.STDOUT)

        def wait_log(needle, seconds):
            deadline = time.time() + seconds
            while time.time() < deadline:
                with open(log_path) as f:
                    text = f.read()
                if needle in text:
                    return True, text
                time.sleep(0.1)
            with open(log_path) as f:
                return False, f.read()

        found, text = wait_log("whitelist.loaded", 10)
        check("serve: loads the stored copy at start", found, text)
        found, text = wait_log("whitelist.stale", 10)
        check("serve: logs whitelist.stale when the copy is older than max_age", found, text)
        found, text = wait_log("whitelist.refresh.failed", 10)
        check("serve: a failing source is retried and logged", found and "keeping the running copy" in text, text)
        state.update(mode="conditional", body=v1, etag='"v1"')
        found, text = wait_log("whitelist.fresh", 10)
        check("serve: a 304 clears the alarm (whitelist.fresh)", found, text)
        state.update(mode="ok", body=v2, etag='"v2"')
        before = len(requests)
        time.sleep(0.5)
        serve.send_signal(signal.SIGHUP)
        found, text = wait_log("whitelist.updated", 10)
        check("serve: SIGHUP refreshes at once (v2 downloaded)", found and len(requests) > before, text)
        serve.send_signal(signal.SIGTERM)
        try:
            rc = serve.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        check("serve: stops on SIGTERM with exit 0", rc == 0, f"exit {rc}")
        serve = None
        newer = show(cfg)
        check("the server stored v2 as the last good copy", newer.get("entries") == 9 and newer.get("etag") == '"v2"',
              newer)
        code, out, _ = run(cfg, "whitelist", "check", "delta.mssante.test")
        check("check: the domain added in v2 is listed", code == 0, out)

        # -- 8. --file --
        code, out, err = run(cfg, "whitelist", "show", "--file", os.path.join(pki, "whitelist.xml"))
        check("show --file: inspects a file without the state", code == 0 and "entries:       8" in out, out + err)
        broken = os.path.join(tmp, "broken.xml")
        with open(broken, "wb") as f:
            f.write(v1.replace(b"<Nom>beta.mssante.test</Nom>", b""))
        code, out, err = run(cfg, "whitelist", "check", "alpha.mssante.test", "--file", broken)
        check("check --file: a malformed file is refused with its line", code == 1 and "line " in err, out + err)
        empty_state = os.path.join(tmp, "empty.toml")
        write_config(empty_state, os.path.join(tmp, "state2"), url, anchors)
        code, out, err = run(empty_state, "whitelist", "show")
        check("show: without a stored copy, says how to get one (exit 1)", code == 1 and "refresh" in err, out + err)
    finally:
        if serve is not None:
            serve.kill()
            serve.wait()
        server.shutdown()
        rogue.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash of the test itself is a failure, not a pass
        import traceback
        traceback.print_exc()
        check("the test ran to the end", False, repr(e))
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)
