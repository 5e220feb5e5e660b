#!/usr/bin/env python3
"""Citizen messaging end to end (issue 7) with two `mssgw serve` instances on 127.0.0.1:

- alpha: a professionals' operator (dupont@alpha, a pharmacy ORG BAL, a secretariat), citizen role "relay";
- beta: the operator of the citizen domain patient.mssante.test (role "host"); its certificate is the one the
  whitelist lists for that domain.

The story: the professional writes -> the patient sees it over IMAP -> the patient replies -> the professional sees
the reply -> the professional sends [FIN] -> the patient does not see it -> the patient's reply is refused with the
right code -> the professional writes again -> the patient can reply. Also: X-MSS-MES: FIN, "[fin]" in lower case,
Reply-To routing, a patient-initiated message refused, the pharmacy exception, INS refusals at RCPT (syntax, key,
Corsica), the 25 MB boundary, state kept across a restart, `mssgw conversation show`, the audit log."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ["MSSGW_SOURCE_DIR"], "tests", "integration", "lib"))
from mssgw_instance import MssgwOperator  # noqa: E402
from pki import ensure_pki  # noqa: E402
from ports import HOST  # noqa: E402
from smtp_client import make_message, smtp_send  # noqa: E402
from report import Report  # noqa: E402

MSSGW = os.environ.get("MSSGW") or sys.exit("MSSGW is not set")
rep = Report()
pki = ensure_pki()

CITIZEN = "patient.mssante.test"
DUPONT, DUPONT_ID = "dupont@alpha.mssante.test", "810001234567"
SECRETARIAT = "secretariat@alpha.mssante.test"
PHARMACY = "pharmacie@alpha.mssante.test"
MARTIN, MARTIN_ID = "martin@alpha.mssante.test", "810009999999"
DURAND, DURAND_ID = "durand@gamma.mssante.test", "810007777777"
INS = "146026322000196"             # the ANS documentation's example
CORSICAN = "28505" + "2A" + "123456"  # sex, year, month, Corsica's 2A, commune, order; key computed below
PATIENT = f"{INS}@{CITIZEN}"


def with_key(thirteen):
    n = int(thirteen.replace("2A", "19").replace("2B", "18"))
    return f"{thirteen}{97 - n % 97:02d}"


CORSICAN = with_key(CORSICAN)
PASSWORDS = {DUPONT_ID: "pw-dupont", MARTIN_ID: "pw-martin", DURAND_ID: "pw-durand", INS: "pw-patient", CORSICAN: "pw-corse"}


def plain(user):
    return ("PLAIN", f"\0{user}\0{PASSWORDS[user]}".encode())


def subject_is(subject):
    return lambda msg: f"Subject: {subject}\r\n".encode() in msg


def shared_has(operator, user, bal, subject):
    """Whether the INBOX of a BAL the user may open (IMAP shared namespace) has a message with this subject."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = operator.imap(user)
        try:
            typ, _ = m.select(f'"Shared/{bal}/INBOX"', readonly=True)
            typ, data = m.search(None, "SUBJECT", f'"{subject}"')
            if typ == "OK" and data[0].split():
                return True
        finally:
            m.logout()
        time.sleep(0.3)
    return False


def wait_closed(operator, timeout=30):
    """Polls `mssgw conversation show` (beside the running server) until dupont's conversation is closed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = operator.run("conversation", "show", INS, DUPONT, "--json", "--state", operator.state)
        if '"open": false' in shown.stdout:
            return True
        time.sleep(0.2)
    return False


def whitelist_with_citizen_domain(path):
    """The test PKI's whitelist plus the citizen domain, bound to beta's certificate DN (beta hosts it)."""
    with open(pki.whitelist, encoding="utf-8") as f:
        xml = f.read()
    beta_dn = re.search(r"<DNCertificatOperateur>(CN=mx\.beta\.[^<]*)</DNCertificatOperateur>", xml).group(1)
    entry = (f"<Domaine><Nom>{CITIZEN}</Nom><Description>Mon Espace Sante (test)</Description>"
             f"<DNCertificatOperateur>{beta_dn}</DNCertificatOperateur><ResponsableContact>x</ResponsableContact>"
             f"<SupportContact>y</SupportContact><DateMAJ>2026-11-22T10:00:00Z</DateMAJ></Domaine>")
    xml = xml.replace("</ListeDomaines>", entry + "</ListeDomaines>")
    with open(path, "w", encoding="utf-8") as f:
        f.write(xml)
    return path


tmp = tempfile.mkdtemp(prefix="mssgw-citizen-")
alpha = beta = gamma = None
try:
    whitelist = whitelist_with_citizen_domain(os.path.join(tmp, "whitelist.xml"))
    alpha = MssgwOperator(rep, MSSGW, pki, "alpha", tmp, whitelist=whitelist, passwords=PASSWORDS,
                          bals=[(DUPONT, DUPONT_ID), (SECRETARIAT, DUPONT_ID), (PHARMACY, MARTIN_ID),
                                (MARTIN, MARTIN_ID)])
    beta = MssgwOperator(rep, MSSGW, pki, "beta", tmp, whitelist=whitelist, passwords=PASSWORDS)
    big = 'max_message_size = "30MiB"\n'
    alpha.write_config({CITIZEN: beta.mx_port}, smtp_extra=big,
                       extra=f'[citizen]\ndomain = "{CITIZEN}"\nrole = "relay"\n')
    beta.write_config({"alpha.mssante.test": alpha.mx_port}, smtp_extra=big,
                      extra=f'[citizen]\ndomain = "{CITIZEN}"\nrole = "host"\npharmacies = ["{PHARMACY}"]\n')
    # gamma: an operator whose relay does not know the citizen domain (no [citizen] section: it treats it as any
    # whitelisted domain), so the refusals happen at the citizen domain's MX and come back as DSNs.
    gamma = MssgwOperator(rep, MSSGW, pki, "gamma", tmp, whitelist=whitelist, passwords=PASSWORDS,
                          bals=[(DURAND, DURAND_ID)])
    gamma.write_config({CITIZEN: beta.mx_port}, smtp_extra=big)
    alpha.start()
    beta.start()
    gamma.start()
    ctx = pki.client_context()

    def professional_sends(subject, to=PATIENT, headers=None, sender=DUPONT, idnat=DUPONT_ID, size=0):
        return smtp_send(HOST, alpha.submission_port, sender, [to],
                         make_message(sender, to, subject=subject, headers=headers, size=size), context=ctx,
                         auth=plain(idnat))

    def patient_sends(subject, to=DUPONT, ins=INS):
        return smtp_send(HOST, beta.submission_port, f"{ins}@{CITIZEN}", [to],
                         make_message(f"{ins}@{CITIZEN}", to, subject=subject), context=ctx, auth=plain(ins))

    # ---- refusals at RCPT: the INS ---------------------------------------------------------------------------
    r = professional_sends("bad key", to=f"146026322000197@{CITIZEN}")
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.1.3" in r.text and "key" in r.text,
              "an INS with a wrong key is 550 5.1.3 naming the key", r)
    r = professional_sends("bad syntax", to=f"14602632200019@{CITIZEN}")
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.1.3" in r.text and "matricule INS" in r.text,
              "a malformed INS is 550 5.1.3 saying so", r)
    r = smtp_send(HOST, beta.mx_port, DUPONT, [f"146026322000197@{CITIZEN}"], make_message(DUPONT, PATIENT),
                  context=pki.client_context(pki.alpha))
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.1.3" in r.text,
              "the citizen domain's MX refuses a wrong key too (5.1.3)", r)

    # ---- a patient-initiated message is refused -------------------------------------------------------------
    r = patient_sends("hello doctor")
    rep.check(r.stage == "mail" and r.code == 553, "before a professional's first message the patient has no mailbox "
              "to send from (553 5.7.1)", r)

    # ---- the story ------------------------------------------------------------------------------------------
    r = professional_sends("compte-rendu de consultation")
    rep.check(r.accepted, "the professional writes to the patient (alpha submission, relay role)", r)
    got = beta.wait_for(INS, subject_is("compte-rendu de consultation"), 30)
    rep.check(got is not None, "the patient sees it over IMAP on the citizen domain's operator", beta.log_tail(15))
    r = patient_sends("Re: compte-rendu de consultation")
    rep.check(r.accepted, "the patient replies", r)
    rep.check(alpha.wait_for(DUPONT_ID, subject_is("Re: compte-rendu de consultation"), 30) is not None,
              "the professional sees the reply", alpha.log_tail(10) + beta.log_tail(10))
    r = patient_sends("to someone else", to=MARTIN)
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.7.1" in r.text and "not written" in r.text,
              "a patient-initiated message to another professional is 550 5.7.1 (never wrote)", r)
    r = patient_sends("to a patient", to=f"{CORSICAN}@{CITIZEN}")
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.7.1" in r.text, "a patient cannot write to a patient", r)

    r = smtp_send(HOST, alpha.submission_port, DUPONT, [PATIENT, MARTIN],
                  make_message(DUPONT, PATIENT, subject="fin de la prise en charge [FIN]"), context=ctx,
                  auth=plain(DUPONT_ID))
    rep.check(r.accepted, "the professional sends [FIN] (to the patient, and a colleague in copy)", r)
    copy = alpha.wait_for(MARTIN_ID, subject_is("fin de la prise en charge [FIN]"), 30)
    rep.check(copy is not None and b"\r\nX-MSS-MES: FIN\r\n" in copy,
              "the relay adds X-MSS-MES: FIN when the subject has [FIN]", copy[:400] if copy else None)
    rep.check(wait_closed(beta), "mssgw conversation show: the conversation is closed")
    messages = beta.inbox(INS)
    rep.check(not any(b"[FIN]" in m for m in messages), "the patient does not see the [FIN] message",
              [m[:200] for m in messages])
    r = patient_sends("Re: fin")
    rep.check(r.stage == "rcpt" and r.code == 550 and "5.7.1" in r.text and "closed" in r.text,
              "the patient's reply after [FIN] is 550 5.7.1 saying the professional closed the conversation", r)
    r = professional_sends("nouvelle consultation")
    rep.check(r.accepted and beta.wait_for(INS, subject_is("nouvelle consultation"), 30) is not None,
              "the professional writes again and the patient sees it")
    r = patient_sends("Re: nouvelle consultation")
    rep.check(r.accepted, "the patient can reply again", r)

    # ---- X-MSS-MES: FIN, and [fin] in lower case --------------------------------------------------------------
    r = professional_sends("a closing by header", headers={"X-MSS-MES": "FIN"})
    rep.check(r.accepted and wait_closed(beta), "a message with X-MSS-MES: FIN is accepted and processed", r)
    r = patient_sends("Re: header")
    rep.check(r.stage == "rcpt" and r.code == 550 and "closed" in r.text, "X-MSS-MES: FIN closes the conversation", r)
    rep.check(not any(b"a closing by header" in m for m in beta.inbox(INS)), "and is not delivered to the patient")
    r = professional_sends("reouverture [fin]")
    rep.check(r.accepted and beta.wait_for(INS, subject_is("reouverture [fin]"), 30) is not None,
              "[fin] in lower case is delivered: it does not close")
    r = patient_sends("Re: reouverture")
    rep.check(r.accepted, "[fin] in lower case leaves the conversation open", r)

    # ---- Reply-To routing ------------------------------------------------------------------------------------
    r = professional_sends("via le secretariat", headers={"Reply-To": f"Secretariat <{SECRETARIAT}>"})
    rep.check(r.accepted, "a professional's message with an MSSanté Reply-To", r)
    got = beta.wait_for(INS, subject_is("via le secretariat"), 30)
    r = patient_sends("Re: via le secretariat", to=SECRETARIAT)
    rep.check(got is not None and r.accepted, "the patient may write to the Reply-To address", r)
    rep.check(shared_has(alpha, DUPONT_ID, SECRETARIAT, "Re: via le secretariat"),
              "the reply reaches the secretariat's INBOX")
    r2 = patient_sends("Re: still via", to=SECRETARIAT)
    rep.check(r2.accepted, "the Reply-To conversation stays open while the professional's is", r2)
    r = professional_sends("cloture [FIN]")
    wait_closed(beta)
    r3 = patient_sends("Re: after close", to=SECRETARIAT)
    rep.check(r.accepted and r3.stage == "rcpt" and r3.code == 550,
              "the professional's [FIN] closes the Reply-To conversation too", r3)

    # ---- the pharmacy exception ------------------------------------------------------------------------------
    r = patient_sends("ordonnance", to=PHARMACY)
    rep.check(r.accepted, "a patient may write first to a pharmacy's ORG BAL marked in [citizen] pharmacies", r)
    rep.check(shared_has(alpha, MARTIN_ID, PHARMACY, "ordonnance"), "the pharmacy receives the prescription")

    # ---- Corsica and the 25 MB boundary --------------------------------------------------------------------------
    r = professional_sends("patient corse", to=f"{CORSICAN.lower()}@{CITIZEN}")
    rep.check(r.accepted, f"a Corsican INS ({CORSICAN}, written in lower case) is accepted", r)
    rep.check(beta.wait_for(CORSICAN, subject_is("patient corse"), 30) is not None,
              "the Corsican patient logs in with the INS and sees the message")
    limit = 25 * 1024 * 1024
    r = professional_sends("trop gros", size=limit + 1024)
    rep.check(not r.accepted and r.code == 552 and "5.3.4" in r.text,
              "just over 25 MB to a patient: 552 5.3.4 at submission", r)
    r = professional_sends("juste en dessous", size=limit - 8 * 1024)
    rep.check(r.accepted, "just under 25 MB to a patient is accepted", r)
    rep.check(beta.wait_for(INS, subject_is("juste en dessous"), 60) is not None,
              "and delivered to the patient by the citizen domain's operator")
    r = smtp_send(HOST, alpha.submission_port, DUPONT, [MARTIN],
                  make_message(DUPONT, MARTIN, subject="gros mais pas pour un patient", size=limit + 1024),
                  context=ctx, auth=plain(DUPONT_ID))
    rep.check(r.accepted, "the 25 MB limit applies to citizen messages only", r)

    # ---- structured bounces (RFC 3464) when the citizen domain's MX refuses what a relay accepted ---------------
    def bounce_for(address, subject):
        return gamma.wait_for(DURAND_ID, lambda m: b"multipart/report" in m and address.encode() in m
                              and f"Subject: {subject}".encode() in m, 60)

    def dsn_field(dsn, name):
        found = re.search(rb"\r\n" + name.encode() + rb": ([^\r]*(?:\r\n[ \t][^\r]*)*)", dsn or b"")
        return re.sub(rb"\r\n[ \t]+", b" ", found.group(1)).decode() if found else ""

    wrong_key = f"146026322000197@{CITIZEN}"
    r = smtp_send(HOST, gamma.submission_port, DURAND, [wrong_key, PATIENT],
                  make_message(DURAND, PATIENT, subject="cle fausse"), context=ctx, auth=plain(DURAND_ID))
    rep.check(r.accepted, "gamma (no citizen role) accepts a message to a wrong-key INS and a valid one", r)
    dsn = bounce_for(wrong_key, "cle fausse")
    status_part = dsn.split(b"message/delivery-status", 1)[1].split(b"\r\n--", 1)[0] if dsn else b""
    rep.check(dsn is not None and dsn_field(dsn, "Status") == "5.1.3" and dsn_field(dsn, "Action") == "failed"
              and "key" in dsn_field(dsn, "Diagnostic-Code") and PATIENT.encode() not in status_part,
              "invalid patient address: DSN Action failed, Status 5.1.3, the citizen MX's reason, only that recipient",
              dsn[:1500] if dsn else gamma.log_tail(20))
    rep.check(beta.wait_for(INS, subject_is("cle fausse"), 30) is not None,
              "the valid patient of the same message gets it")
    r = smtp_send(HOST, gamma.submission_port, DURAND, [PATIENT],
                  make_message(DURAND, PATIENT, subject="trop gros via gamma", size=limit + 1024), context=ctx,
                  auth=plain(DURAND_ID))
    rep.check(r.accepted, "gamma accepts a message just over 25 MB to a patient (its own limit is 30 MiB)", r)
    dsn = bounce_for(PATIENT, "trop gros via gamma")
    rep.check(dsn is not None and dsn_field(dsn, "Status") == "5.3.4" and "552" in dsn_field(dsn, "Diagnostic-Code"),
              "size exceeded: DSN Status 5.3.4 with the citizen MX's 552", dsn[:1500] if dsn else gamma.log_tail(20))
    rep.check(dsn is not None and len(dsn) < 1024 * 1024,
              "the size DSN returns the headers only, not the 25 MB", len(dsn or b""))

    # ---- state kept across a restart (kill -9) -----------------------------------------------------------------
    r = professional_sends("derniere [FIN]")
    rep.check(r.accepted and wait_closed(beta), "a last [FIN] closes the conversation before the crash", r)
    beta.stop(signal.SIGKILL)
    shown = beta.run("conversation", "show", PATIENT, "--state", beta.state)
    rep.check(shown.returncode == 0 and "closed" in shown.stdout and DUPONT in shown.stdout,
              "mssgw conversation show lists the patient's conversations", shown.stdout + shown.stderr)
    bad = beta.run("conversation", "show", "146026322000197", "--state", beta.state)
    rep.check(bad.returncode == 2 and "wrong key" in bad.stderr, "conversation show refuses a wrong INS key", bad.stderr)
    beta.start()
    r = patient_sends("Re: after restart")
    rep.check(r.stage == "rcpt" and r.code == 550 and "closed" in r.text,
              "after kill -9 and a restart, the closed conversation stays closed", r)
    r = professional_sends("apres redemarrage")
    beta.wait_for(INS, subject_is("apres redemarrage"), 30)
    r2 = patient_sends("Re: apres redemarrage")
    rep.check(r.accepted and r2.accepted, "and reopens with a new message of the professional", r2)

    audit = open(os.path.join(beta.state, "audit.log"), errors="replace").read()
    rep.check("citizen.conversation.opened" in audit and "citizen.conversation.closed" in audit
              and "citizen.reply.refused" in audit and "citizen.mailbox.created" in audit,
              "every conversation change is in the audit log")
except SystemExit:
    raise
except Exception:
    import traceback
    rep.check(False, "the test ran to the end", traceback.format_exc())
    for op in (alpha, beta, gamma):
        if op:
            print(f"--- {op.name} log tail ---\n{op.log_tail(40)}")
finally:
    for op in (alpha, beta, gamma):
        if op:
            op.stop()
    if os.environ.get("MSSGW_KEEP_TMP") != "1":
        shutil.rmtree(tmp, ignore_errors=True)
sys.exit(rep.summary())
