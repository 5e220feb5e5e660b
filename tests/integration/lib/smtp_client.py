"""A small SMTP client for tests: one transaction, and the stage and reply code where it stopped.

smtp_send() never raises for an SMTP refusal or a TLS/connection failure: it returns a Result, so refusal tests can
assert `r.stage == "mail" and r.code == 530`. Stages, in order: connect, greeting, ehlo, starttls, tls (handshake),
ehlo2 (EHLO after TLS), auth, mail, rcpt, data, done. `r.accepted` is True only when the final reply after the
message was 2xx for at least one recipient; `r.queue_id` is the id found in that reply, if any.

    ctx = pki.client_context(pki.alpha)
    r = smtp_send("127.0.0.1", port, "a@alpha.mssante.test", ["u1@gamma.mssante.test"], make_message(...), context=ctx)
"""
import base64
import email.utils
import re
import smtplib
import ssl
from dataclasses import dataclass, field


@dataclass
class Result:
    stage: str                # where the transaction stopped ("done" when the message was accepted)
    code: int = 0             # the last reply code (0 for a local error: connection refused, TLS failure...)
    text: str = ""            # the last reply text, or the local error
    accepted: bool = False
    queue_id: str = ""
    refused_rcpts: dict = field(default_factory=dict)   # rcpt -> (code, text)
    tls_version: str = ""     # e.g. "TLSv1.3" when STARTTLS or implicit TLS was used
    esmtp_features: dict = field(default_factory=dict)

    def __str__(self):
        return f"stage={self.stage} code={self.code} text={self.text!r}"


def make_message(mail_from, rcpt_to, subject="test", body="Hello.\r\n", headers=None, size=0):
    """An RFC 5322 message as bytes with CRLF line ends. `size` pads the body with text lines up to about size bytes."""
    to = rcpt_to if isinstance(rcpt_to, str) else ", ".join(rcpt_to)
    lines = [f"From: <{mail_from}>", f"To: <{to}>", f"Subject: {subject}",
             f"Date: {email.utils.formatdate(localtime=False)}",
             f"Message-ID: {email.utils.make_msgid(domain='test.mssante.test')}"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    text = "\r\n".join(lines) + "\r\n\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")
    line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab\r\n"
    while len(text) < size:
        text += line
    return text.encode()


_QUEUE_ID = re.compile(r"(?:queued as|id=|queue id)\s*<?([A-Za-z0-9._-]+)>?", re.I)


def _data_bytes(data):
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, (bytes, bytearray)):
        data = data.as_bytes()  # email.message.Message
    return bytes(data)


def smtp_send(host, port, mail_from, rcpt_to, data, *, context=None, starttls=True, implicit_tls=False,
              server_hostname=None, ehlo="client.test", auth=None, timeout=30.0, mail_options=(), rcpt_options=()):
    """Runs one SMTP transaction. context: an ssl.SSLContext (pki.client_context(...)); starttls: issue STARTTLS
    before MAIL (needs context); implicit_tls: TLS from the first byte (port 465 style); auth: None or
    (mechanism, initial_response_bytes) e.g. ("PLAIN", b"\\0user\\0pass"), sent as `AUTH MECH base64`."""
    rcpts = [rcpt_to] if isinstance(rcpt_to, str) else list(rcpt_to)
    msg = _data_bytes(data)
    res = Result(stage="connect")
    conn = None
    try:
        if implicit_tls:
            conn = smtplib.SMTP_SSL(local_hostname=ehlo, timeout=timeout, context=context)
        else:
            conn = smtplib.SMTP(local_hostname=ehlo, timeout=timeout)
        if server_hostname:
            conn._host = server_hostname  # smtplib passes _host as server_hostname to wrap_socket
        try:
            code, text = conn.connect(host, port)
        except (OSError, ssl.SSLError) as e:
            if isinstance(e, ssl.SSLError):  # implicit TLS: the handshake is part of connect()
                res.stage = "tls"
            res.text = f"{type(e).__name__}: {e}"
            return res
        res.stage, res.code, res.text = "greeting", code, text.decode(errors="replace")
        if code != 220:
            return res
        if implicit_tls:
            res.tls_version = conn.sock.version() or ""
        res.stage = "ehlo"
        code, text = conn.ehlo(ehlo)
        res.code, res.text = code, text.decode(errors="replace")
        if code != 250:
            return res
        if starttls and not implicit_tls:
            res.stage = "starttls"
            code, text = conn.docmd("STARTTLS")
            res.code, res.text = code, text.decode(errors="replace")
            if code != 220:
                return res
            res.stage = "tls"
            try:
                conn.sock = (context or ssl._create_unverified_context()).wrap_socket(
                    conn.sock, server_hostname=server_hostname)
            except (OSError, ssl.SSLError) as e:
                res.code, res.text = 0, f"{type(e).__name__}: {e}"
                return res
            conn.file = None
            res.tls_version = conn.sock.version() or ""
            conn.helo_resp = conn.ehlo_resp = None
            conn.esmtp_features = {}
            conn.does_esmtp = False
            res.stage = "ehlo2"
            code, text = conn.ehlo(ehlo)
            res.code, res.text = code, text.decode(errors="replace")
            if code != 250:
                return res
        res.esmtp_features = dict(conn.esmtp_features)
        if auth is not None:
            res.stage = "auth"
            mech, initial = auth
            code, text = conn.docmd("AUTH", f"{mech} {base64.b64encode(initial).decode() or '='}")
            if code == 334:  # a SASL error challenge (XOAUTH2): answer with an empty line to get the final reply
                code, text = conn.docmd("")
            res.code, res.text = code, text.decode(errors="replace")
            if code != 235:
                return res
        res.stage = "mail"
        code, text = conn.mail(mail_from, list(mail_options))
        res.code, res.text = code, text.decode(errors="replace")
        if code != 250:
            return res
        res.stage = "rcpt"
        ok = 0
        for r in rcpts:
            code, text = conn.rcpt(r, list(rcpt_options))
            res.code, res.text = code, text.decode(errors="replace")
            if code in (250, 251):
                ok += 1
            else:
                res.refused_rcpts[r] = (code, res.text)
        if ok == 0:
            return res
        res.stage = "data"
        code, text = conn.data(msg)
        res.code, res.text = code, text.decode(errors="replace")
        if code == 250:
            res.stage, res.accepted = "done", True
            m = _QUEUE_ID.search(res.text)
            res.queue_id = m.group(1) if m else ""
        return res
    except smtplib.SMTPServerDisconnected as e:
        res.text = res.text or f"disconnected: {e}"
        if "disconnected" not in res.text:
            res.text += f" (then disconnected: {e})"
        return res
    except (OSError, ssl.SSLError, smtplib.SMTPException) as e:
        res.code = getattr(e, "smtp_code", 0) or res.code
        res.text = f"{type(e).__name__}: {e}"
        return res
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError, ssl.SSLError):
                pass
            try:
                conn.close()
            except OSError:
                pass
