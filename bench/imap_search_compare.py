#!/usr/bin/env python3
"""IMAP SEARCH on a large mailbox, mssgw and Dovecot side by side in the same run (issue 5: "SEARCH: every RFC 3501
key; header and body text search that stays fast on a 50,000-message mailbox"; the approach is described at the
top of imap/server/search.hpp).

1. Generates N messages (default 50,000) deterministically (fixed seed), shaped like health mail: ~500 senders
   (display names with accents, RFC 2047 encoded), Dates over two years (+0100/+0200, the INTERNALDATE the same
   instant in UTC), French medical subjects (accented ones RFC 2047 encoded, Q or B), a Message-ID each, X-Mailer on
   a third, text bodies of 1-20 KB (log-uniform): mostly text/plain UTF-8 8bit, ~20 % quoted-printable, ~10 %
   multipart/mixed with a base64 text part and/or a base64 PDF-like attachment (5-200 KB). Needles are planted
   so that every search has a known answer (the "expected" column, computed from the generator).
2. Loads them the same way into one mssgw user's INBOX and one Dovecot user's INBOX: pipelined MULTIAPPENDs
   (RFC 3502; up to 500 messages or 8 MB per APPEND, one commit each) over one plaintext connection, every literal
   LITERAL+ (`APPEND INBOX "date" {n+}\\r\\n<bytes> "date" {n+}...`), all in flight, the replies read by a second
   thread; APPENDUID must give UIDs 1..N in order. (One message per APPEND ran at ~180 msg/s on mssgw and ~65 on
   Dovecot here.) --dovecot-maildir writes Dovecot's Maildir/cur directly instead, as its own delivery would (LF
   line ends, S= and W= sizes in the names, mtime = INTERNALDATE, owned by the vmail user), and lets the first
   SELECT index it. On both servers: EXISTS must be N, and UID k must be message k (RFC822.SIZE and
   INTERNALDATE of every UID compared); then `UID STORE +FLAGS.SILENT (\\Seen)` on a fixed random half. Load times
   are printed, not compared.
3. Warm-up: every search once on each server, untimed (Dovecot fills dovecot.index.cache with the header fields
   searched; mssgw's MIME caches are computed at APPEND). Then --repeat rounds; in each, a SELECT on each server
   (untimed) and every search on both (mssgw first in even rounds, Dovecot first in odd ones), one plaintext
   loopback connection per server, timed from sending `UID SEARCH ...` to reading the tagged OK. Prints median and
   min in ms and the hits; the UID sets are compared between the servers and with the expected set (a "!" marks a
   difference between the servers; every difference is listed below the table).

    MSSGW_BUILD_DIR=build python3 bench/imap_search_compare.py [--messages 50000] [--repeat 5] [--dovecot-maildir]
                                                                [--json FILE]

The binary is $MSSGW, else $MSSGW_BUILD_DIR/app/mssgw. Runs as root (Dovecot's master needs it), everything on
127.0.0.1 in temp dirs under /tmp, removed at the end; both servers are stopped in a finally block (Ctrl-C and
SIGTERM included). Exit status 1 if any command fails on either server or a server does not hold N messages.
Dovecot is Debian's package with its defaults (Maildir, no FTS plugin): its searches read its index, its cache
file and the message files.
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("MSSGW_SOURCE_DIR", SOURCE)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration", "lib"))
from dovecot_peer import VMAIL_GID, VMAIL_UID, DovecotPeer  # noqa: E402
from ports import HOST, free_ports, wait_for_port  # noqa: E402

if os.environ.get("MSSGW"):
    MSSGW = os.environ["MSSGW"]
elif os.environ.get("MSSGW_BUILD_DIR"):
    MSSGW = os.path.join(os.environ["MSSGW_BUILD_DIR"], "app", "mssgw")
else:
    sys.exit("set MSSGW (the mssgw binary) or MSSGW_BUILD_DIR")

USER = "medecin@search.test"
PASSWORD = "secret"
VMAIL = (VMAIL_UID, VMAIL_GID)
SEED = 20261204

# ---- the corpus ------------------------------------------------------------------------------------------------

FIRST = ["Hélène", "Zoé", "Émilie", "Jérôme", "François", "Cécile", "Loïc", "Agnès", "Benoît", "Thérèse", "Noël",
         "Anaïs", "Gaëlle", "Rémi", "Frédéric", "Sébastien", "Mélanie", "Léa", "Raphaël", "Maëlle", "Jean", "Marie",
         "Pierre", "Sophie", "Nicolas", "Claire", "Thomas", "Julie", "Philippe", "Anne", "Laurent", "Isabelle",
         "Olivier", "Nathalie", "Michel", "Sandrine", "David", "Caroline", "Alain", "Valérie", "Patrick", "Camille",
         "Antoine", "Laure", "Vincent", "Aurélie", "Christophe", "Pauline", "Mathieu", "Élodie"]
LAST = ["Dupré", "Lefèvre", "Bénard", "Girard", "Rousseau", "Mercier", "Fontaine", "Chevalier", "Gauthier",
        "Perrin", "Morel", "Fournier", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
        "André", "Lefebvre", "Thévenin", "Boulanger", "Clément", "Hébert", "Prévost", "Brûlé", "Ménard", "Côté",
        "Lemaître", "Martin", "Bernard", "Dubois", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Michel",
        "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fabre", "Blanc", "Guérin", "Muller", "Henry", "Roussel"]
DOMAINS = ["chu-lyon.mssante.fr", "aphp.mssante.fr", "chu-bordeaux.mssante.fr", "medecin.mssante.fr",
           "pharmacien.mssante.fr", "chu-lille.mssante.fr", "ch-valence.mssante.fr", "labo-biomed.mssante.fr",
           "clinique-des-alpes.mssante.fr", "infirmier.mssante.fr"]
TITLES = ["Dr", "Dr", "Pr", "", "", "Mme", "M."]
MAILERS = ["Thunderbird 115.4.1", "Microsoft Outlook 16.0", "MSSante-Webmail/4.2", "Lifen Mailer 3.2",
           "Apple Mail (2.3731)", "Roundcube Webmail/1.6.5"]
SUBJECT_HEADS = ["Compte rendu de consultation", "Résultats d'analyses biologiques", "Demande d'avis",
                 "Lettre de liaison", "Compte rendu opératoire", "Ordonnance", "Courrier de sortie",
                 "Demande de rendez-vous", "Résultats d'imagerie", "Suivi post-opératoire", "Avis spécialisé",
                 "Bilan préopératoire", "Transmission de dossier", "Réunion de concertation pluridisciplinaire",
                 "Compte rendu d'hospitalisation", "Certificat médical", "Protocole de soins"]
SUBJECT_TOPICS = ["cardiologie", "néphrologie", "pneumologie", "dermatologie", "neurologie", "oncologie",
                  "gastro-entérologie", "rhumatologie", "endocrinologie", "hématologie", "pédiatrie", "gériatrie",
                  "ophtalmologie", "urologie", "gynécologie", "psychiatrie", "médecine interne", "radiologie",
                  "biologie médicale", "soins palliatifs", "diabétologie", "ORL", "chirurgie viscérale",
                  "orthopédie", "infectiologie"]
WORDS = (
    "patient patiente traitement posologie antécédents examen clinique bilan biologique consultation suivi "
    "hospitalisation diagnostic pronostic symptômes douleur fièvre tension artérielle fréquence cardiaque "
    "hémoglobine créatinine glycémie cholestérol triglycérides plaquettes leucocytes ferritine TSH INR "
    "scanner IRM radiographie thoracique électrocardiogramme biopsie ponction prélèvement sanguin urinaire "
    "insuffisance rénale cardiaque hépatique respiratoire chronique aiguë sévère modérée légère stable "
    "amélioration aggravation récidive rémission complication infection inflammation allergie intolérance "
    "prescription ordonnance renouvellement arrêt reprise adaptation dose comprimé gélule injection perfusion "
    "matin midi soir pendant semaines mois jours heures avant après repas jeun contrôle rendez-vous prochain "
    "médecin traitant spécialiste infirmière pharmacien kinésithérapeute cabinet service unité établissement "
    "courrier compte rendu résultats joints ci-dessous veuillez trouver confraternellement cordialement "
    "je vous remercie de votre confiance nous avons revu ce jour votre patient qui présente une évolution "
    "favorable sous traitement il est prévu de poursuivre la surveillance clinique et biologique "
    "elle signale des céphalées une asthénie des vertiges une dyspnée d'effort des palpitations des œdèmes "
    "l'examen retrouve un souffle systolique une auscultation pulmonaire claire un abdomen souple indolore "
    "pas de signe de gravité pas d'adénopathie pas de déficit neurologique focal température normale "
    "hypertension diabète type asthme BPCO fibrillation auriculaire anticoagulant bêtabloquant statine "
    "metformine insuline paracétamol amoxicilline corticoïdes anti-inflammatoires antalgiques vaccination "
    "tabagisme sevrage alcool activité physique régime alimentaire poids taille IMC kinésithérapie "
    "échocardiographie coloscopie endoscopie mammographie scintigraphie doppler veineux artériel "
    "le la les un une des du de à au aux et ou mais donc car ni pour par avec sans sur sous dans chez entre "
    "notre votre leur ce cette ces son sa ses est sont a ont été sera fait faire prévoir proposer discuter"
).split()
SIGNATURES = ["Bien confraternellement,", "Cordialement,", "Bien à vous,", "Avec mes remerciements,"]

# Needles (none of them occurs in WORDS, the names, subjects or mailers: checked by make_corpus()).
RARE_SENDER = ("Zoé Marchetti-Lefèvre", "zoe.marchetti@chu-nice.mssante.fr")
RARE_RECIPIENT = "secretariat.cardio@ch-annecy.mssante.fr"
SUBJECT_WORD = "angioplastie"          # ~1 % of subjects
ACCENT_WORD = "échographie"            # ~2 % of subjects, half "Échographie …" (upper case É), RFC 2047 encoded
RARE_BODY = "zygomycose"               # exactly 3 bodies, plain 8bit text
ENCODED_ONLY = "hémochromatose"        # ~0.5 % of bodies, only in quoted-printable or base64 text parts
TEXT_WORD = "sarcoïdose"               # ~0.3 % of subjects and ~0.3 % of bodies (plain or quoted-printable)
MEDIUM_BODY = "néphrectomie"           # ~2 % of bodies, every encoding
ABSENT = "xylophagie"                  # nowhere
RARE_MAILER = "Lifen Mailer"


def q_encode(text):
    """RFC 2047 Q encoding of `text`, one or more encoded words (each <= 75 chars, never splitting a character)."""
    words, cur = [], ""
    for ch in text:
        b = ch.encode()
        if ch == " ":
            enc = "_"
        elif len(b) == 1 and (ch.isalnum() or ch in "-!*+/") and ch != "=":
            enc = ch
        else:
            enc = "".join(f"={x:02X}" for x in b)
        if len(cur) + len(enc) > 60:
            words.append(cur)
            cur = ""
        cur += enc
    words.append(cur)
    return "\r\n ".join(f"=?UTF-8?Q?{w}?=" for w in words)


def b_encode(text):
    """RFC 2047 B encoding, split into encoded words of <= 36 bytes of UTF-8 on character boundaries."""
    words, cur = [], b""
    for ch in text:
        b = ch.encode()
        if len(cur) + len(b) > 36:
            words.append(cur)
            cur = b""
        cur += b
    words.append(cur)
    return "\r\n ".join(f"=?UTF-8?B?{base64.b64encode(w).decode()}?=" for w in words)


def header_text(text, rng):
    if text.isascii():
        return text
    return q_encode(text) if rng.random() < 0.5 else b_encode(text)


def address(name, addr, rng):
    if not name:
        return addr
    if name.isascii():
        return f'"{name}" <{addr}>'
    return f"{header_text(name, rng)} <{addr}>"


def ascii_local(s):
    table = str.maketrans("éèêëàâäîïôöûüùçÉÈÊËÀÂÎÏÔÖÛÜÇœŒæÆ", "eeeeaaaiioouuucEEEEAAIIOOUUCoOaA")
    return "".join(c for c in s.translate(table).lower() if c.isalnum() or c in ".-")


def fold(s):
    return s.lower()


class Corpus:
    """The messages (bytes, CRLF), their INTERNALDATEs, and the facts the expected answers are computed from."""

    def __init__(self, n):
        self.n = n
        self.data = []
        self.internal = []       # datetime, UTC
        self.sent_day = []       # date as written in the Date header
        self.subject = []        # decoded
        self.sender = []         # (name, addr)
        self.recipients = []     # [addr]
        self.mailer = []         # str or None
        self.message_id = []
        self.body_words = []     # set of needles in the (decoded) body text
        self.kind = []           # "8bit", "qp", "mp-b64text+pdf", "mp-8bit+pdf", "mp-b64text"
        self.seen = set()        # indices (0-based) that get \Seen


def make_corpus(n, seed=SEED):
    rng = random.Random(seed)
    # Senders: 500 (name, address), some names with accents (encoded in headers).
    senders = []
    used = set()
    while len(senders) < 500:
        first, last, title = rng.choice(FIRST), rng.choice(LAST), rng.choice(TITLES)
        addr = f"{ascii_local(first)}.{ascii_local(last)}@{rng.choice(DOMAINS)}"
        if addr in used:
            continue
        used.add(addr)
        senders.append((f"{title} {first} {last}".strip(), addr))
    recipients = [(f"Dr {rng.choice(FIRST)} {rng.choice(LAST)}", f"dest{i}@medecin.mssante.fr") for i in range(40)]
    # A pool of paragraphs (wrapped at 72 columns, CRLF) the bodies are drawn from.
    paragraphs = []
    for _ in range(1500):
        sentences = []
        for _ in range(rng.randint(2, 6)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(6, 20))]
            s = " ".join(words)
            sentences.append(s[0].upper() + s[1:] + ".")
        lines, cur = [], ""
        for w in " ".join(sentences).split(" "):
            if cur and len(cur) + 1 + len(w) > 72:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}" if cur else w
        lines.append(cur)
        paragraphs.append("\r\n".join(lines))
    needles = [RARE_SENDER[0], RARE_SENDER[1], RARE_RECIPIENT, SUBJECT_WORD, ACCENT_WORD, RARE_BODY, ENCODED_ONLY,
               TEXT_WORD, MEDIUM_BODY, ABSENT]
    haystacks = paragraphs + [f"{a} {b}" for a, b in senders + recipients] + SUBJECT_HEADS + SUBJECT_TOPICS + \
        MAILERS[:3] + MAILERS[4:] + SIGNATURES
    for h in haystacks:
        for w in needles:
            if fold(w) in fold(h):
                raise RuntimeError(f"needle {w!r} occurs in the corpus vocabulary: {h[:80]!r}")

    # Kinds and needle placement, decided up front so that the counts are exact.
    kinds = []
    for _ in range(n):
        r = rng.random()
        if r < 0.70:
            kinds.append("8bit")
        elif r < 0.90:
            kinds.append("qp")
        elif r < 0.94:
            kinds.append("mp-b64text+pdf")
        elif r < 0.98:
            kinds.append("mp-8bit+pdf")
        else:
            kinds.append("mp-b64text")
    idx = list(range(n))
    plain = [i for i in idx if kinds[i] == "8bit"]
    encoded = [i for i in idx if kinds[i] in ("qp", "mp-b64text+pdf", "mp-b64text")]
    plain_or_qp = [i for i in idx if kinds[i] in ("8bit", "qp")]
    at_least = lambda k: max(k, 1)  # noqa: E731
    rare_body = set(rng.sample(plain, min(3, len(plain))))
    encoded_only = set(rng.sample(encoded, min(len(encoded), at_least(round(n * 0.005)))))
    text_body = set(rng.sample(plain_or_qp, min(len(plain_or_qp), at_least(round(n * 0.003)))))
    text_subject = set(rng.sample(idx, at_least(round(n * 0.003))))
    medium = set(rng.sample(idx, at_least(round(n * 0.02))))
    subject_word = set(rng.sample(idx, at_least(round(n * 0.01))))
    accent = set(rng.sample(idx, at_least(round(n * 0.02))))
    rare_sender = set(rng.sample(idx, at_least(round(n * 0.002))))
    rare_rcpt = set(rng.sample(idx, at_least(round(n * 0.001))))
    seen = set(rng.sample(idx, n // 2))

    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    span = int(timedelta(days=731).total_seconds())
    c = Corpus(n)
    c.seen = seen
    for i in range(n):
        kind = kinds[i]
        when = start + timedelta(seconds=rng.randrange(span))
        # Europe/Paris: +0200 from the last Sunday of March to the last Sunday of October (roughly: April-October).
        offset = 2 if 4 <= when.month <= 10 else 1
        local = when.astimezone(timezone(timedelta(hours=offset)))
        name, addr = RARE_SENDER if i in rare_sender else rng.choice(senders)
        tos = [rng.choice(recipients)]
        if i in rare_rcpt:
            tos.append(("Secrétariat de cardiologie", RARE_RECIPIENT))
        cc = [rng.choice(recipients)] if rng.random() < 0.15 else []
        head = rng.choice(SUBJECT_HEADS)
        topic = rng.choice(SUBJECT_TOPICS)
        extra = []
        if i in subject_word:
            extra.append(SUBJECT_WORD)
        if i in text_subject:
            extra.append(TEXT_WORD)
        subject = f"{head} – {topic}" + (f" ({', '.join(extra)})" if extra else "")
        if i in accent:
            subject = (f"Échographie – {subject}" if rng.random() < 0.5 else f"{subject} : échographie")
        if rng.random() < 0.25:
            subject = "RE: " + subject
        mailer = rng.choice(MAILERS) if rng.random() < 0.33 else None
        mid = f"<{hashlib.sha1(f'{seed}/{i}'.encode()).hexdigest()[:20]}.{i}@{addr.split('@')[1]}>"

        # Body text.
        target = int(1000 * 20 ** rng.random())
        parts = [f"Cher confrère, chère consœur,"]
        size = len(parts[0])
        while size < target:
            p = rng.choice(paragraphs)
            parts.append(p)
            size += len(p) + 4
        words = set()
        for needle, members in ((RARE_BODY, rare_body), (ENCODED_ONLY, encoded_only), (TEXT_WORD, text_body),
                                (MEDIUM_BODY, medium)):
            if i in members:
                pos = rng.randrange(1, len(parts) + 1)
                parts.insert(pos, f"Antécédent notable : {needle} diagnostiquée en {2000 + rng.randrange(24)}.")
                words.add(needle)
        parts.append(rng.choice(SIGNATURES) + "\r\n" + name)
        text = ("\r\n\r\n".join(parts) + "\r\n").encode()

        hdr = [f"Message-ID: {mid}",
               f"Date: {local.strftime('%a, %d %b %Y %H:%M:%S %z')}",
               f"From: {address(name, addr, rng)}",
               "To: " + ",\r\n ".join(address(nm, a, rng) for nm, a in tos)]
        if cc:
            hdr.append("Cc: " + ", ".join(address(nm, a, rng) for nm, a in cc))
        hdr.append(f"Subject: {header_text(subject, rng)}")
        hdr.append("MIME-Version: 1.0")
        if mailer:
            hdr.append(f"X-Mailer: {mailer}")
        if kind == "8bit":
            hdr += ["Content-Type: text/plain; charset=utf-8; format=flowed", "Content-Transfer-Encoding: 8bit"]
            body = text
        elif kind == "qp":
            hdr += ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"]
            body = binascii.b2a_qp(text, istext=True)
        else:
            boundary = f"=_mssgw_bench_{i:06d}"
            hdr.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
            chunks = [b"This is a multi-part message in MIME format.\r\n"]
            if kind in ("mp-b64text+pdf", "mp-b64text"):
                chunks.append(f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: base64\r\n\r\n".encode())
                chunks.append(base64.encodebytes(text).replace(b"\n", b"\r\n"))
            else:
                chunks.append(f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: 8bit\r\n\r\n".encode())
                chunks.append(text)
            if kind.endswith("+pdf"):
                size = int(5_000 * 40 ** rng.random())
                pdf = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" +
                       rng.randbytes(size) + b"\n%%EOF\n")
                fname = f"CR_{i:06d}.pdf"
                chunks.append(f"--{boundary}\r\nContent-Type: application/pdf; name=\"{fname}\"\r\n"
                              f"Content-Disposition: attachment; filename=\"{fname}\"\r\n"
                              "Content-Transfer-Encoding: base64\r\n\r\n".encode())
                chunks.append(base64.encodebytes(pdf).replace(b"\n", b"\r\n"))
            chunks.append(f"--{boundary}--\r\n".encode())
            body = b"".join(chunks)
        msg = ("\r\n".join(hdr) + "\r\n\r\n").encode() + body
        c.data.append(msg)
        c.internal.append(when)
        c.sent_day.append(local.date())
        c.subject.append(subject)
        c.sender.append((name, addr))
        c.recipients.append([a for _, a in tos])
        c.mailer.append(mailer)
        c.message_id.append(mid)
        c.body_words.append(words)
        c.kind.append(kind)
    return c


# ---- the searches ----------------------------------------------------------------------------------------------

def searches(c):
    """(label, UID SEARCH arguments as a list of atoms/strings, expected set of 0-based indices)."""
    n = c.n
    all_ = set(range(n))
    d = lambda y, m, dd: datetime(y, m, dd).date()  # noqa: E731
    probe = n // 2
    since, before = d(2025, 3, 1), d(2025, 4, 1)
    internal_day = [t.date() for t in c.internal]
    with_word = lambda w: {i for i in all_ if w in c.body_words[i]}  # noqa: E731
    subj = lambda w: {i for i in all_ if fold(w) in fold(c.subject[i])}  # noqa: E731
    rare_sender = {i for i in all_ if c.sender[i][1] == RARE_SENDER[1]}
    unseen = all_ - c.seen
    since_and = d(2025, 7, 1)
    return [
        ("FROM rare sender (address)", ["FROM", "zoe.marchetti"], rare_sender),
        ("FROM rare sender (encoded name)", ["FROM", "Zoé Marchetti"], rare_sender),
        ("TO rare recipient", ["TO", "secretariat.cardio"], {i for i in all_ if RARE_RECIPIENT in c.recipients[i]}),
        ("SUBJECT word in ~1 %", ["SUBJECT", SUBJECT_WORD], subj(SUBJECT_WORD)),
        ("SUBJECT accented word", ["SUBJECT", ACCENT_WORD], subj(ACCENT_WORD)),
        ("HEADER X-Mailer value", ["HEADER", "X-Mailer", RARE_MAILER],
         {i for i in all_ if c.mailer[i] and RARE_MAILER in c.mailer[i]}),
        ("HEADER Message-ID one id", ["HEADER", "Message-ID", c.message_id[probe]], {probe}),
        ("BODY rare word (3 bodies)", ["BODY", RARE_BODY], with_word(RARE_BODY)),
        ("BODY word in QP/base64 parts only", ["BODY", ENCODED_ONLY], with_word(ENCODED_ONLY)),
        ("BODY absent word", ["BODY", ABSENT], set()),
        ("TEXT word (subjects + bodies)", ["TEXT", TEXT_WORD], with_word(TEXT_WORD) | subj(TEXT_WORD)),
        ("SINCE/BEFORE one month", ["SINCE", "1-Mar-2025", "BEFORE", "1-Apr-2025"],
         {i for i in all_ if since <= internal_day[i] < before}),
        ("SENTSINCE/SENTBEFORE one month", ["SENTSINCE", "1-Mar-2025", "SENTBEFORE", "1-Apr-2025"],
         {i for i in all_ if since <= c.sent_day[i] < before}),
        ("LARGER 100000", ["LARGER", "100000"], {i for i in all_ if len(c.data[i]) > 100000}),
        ("UNSEEN", ["UNSEEN"], unseen),
        ("UNSEEN SINCE x BODY y", ["UNSEEN", "SINCE", "1-Jul-2025", "BODY", MEDIUM_BODY],
         {i for i in unseen if internal_day[i] >= since_and} & with_word(MEDIUM_BODY)),
        ("OR FROM x SUBJECT y", ["OR", "FROM", "zoe.marchetti", "SUBJECT", SUBJECT_WORD],
         rare_sender | subj(SUBJECT_WORD)),
    ]


def encode_args(args):
    """The bytes of search arguments: atoms as they are, strings quoted, non-ASCII strings as LITERAL+ literals."""
    out = b""
    atoms = set("ALL ANSWERED BCC BEFORE BODY CC DELETED DRAFT FLAGGED FROM HEADER KEYWORD LARGER NEW NOT OLD ON OR "
                "RECENT SEEN SENTBEFORE SENTON SENTSINCE SINCE SMALLER SUBJECT TEXT TO UID UNANSWERED UNDELETED "
                "UNDRAFT UNFLAGGED UNKEYWORD UNSEEN".split())
    needs_charset = False
    for k, a in enumerate(args):
        sep = b" " if k else b""
        if a in atoms or a.isdigit() or (len(a) < 12 and a[0].isdigit() and "-" in a):
            out += sep + a.encode()
        elif a.isascii():
            out += sep + b'"' + a.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'
        else:
            b = a.encode()
            out += sep + b"{%d+}\r\n" % len(b) + b
            needs_charset = True
    return (b"CHARSET UTF-8 " if needs_charset else b"") + out


# ---- a minimal pipelining IMAP client ----------------------------------------------------------------------------

class ImapError(RuntimeError):
    pass


class Imap:
    def __init__(self, name, port):
        self.name = name
        self.sock = socket.create_connection((HOST, port), timeout=600)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.tagn = 0
        greeting = self.line()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"{name}: greeting {greeting!r}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def line(self):
        while True:
            k = self.buf.find(b"\r\n")
            if k >= 0:
                ln = bytes(self.buf[:k])
                del self.buf[:k + 2]
                return ln
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ImapError(f"{self.name}: connection closed")
            self.buf += chunk

    def tag(self):
        self.tagn += 1
        return b"T%d" % self.tagn

    def command(self, text):
        """Sends `text` (bytes, no tag, no CRLF); returns (untagged lines, tagged line). Raises on NO/BAD."""
        tag = self.tag()
        self.sock.sendall(tag + b" " + text + b"\r\n")
        return self.wait(tag, text)

    def wait(self, tag, text=b""):
        untagged = []
        prefix = tag + b" "
        while True:
            ln = self.line()
            if ln.startswith(prefix):
                if not ln[len(prefix):].startswith(b"OK"):
                    raise ImapError(f"{self.name}: {text[:120]!r} -> {ln[:300]!r}")
                return untagged, ln
            untagged.append(ln)

    def login(self, user, password):
        self.command(b'LOGIN "%s" "%s"' % (user.encode(), password.encode()))

    def select(self):
        untagged, _ = self.command(b"SELECT INBOX")
        for ln in untagged:
            parts = ln.split()
            if len(parts) == 3 and parts[2] == b"EXISTS":
                return int(parts[1])
        raise ImapError(f"{self.name}: SELECT without EXISTS")

    def pipeline(self, commands, label):
        """Sends every command (bytes without tag and final CRLF, literals LITERAL+) from a second thread while this
        one reads the replies; returns the tagged lines in order. Raises if any is not OK."""
        tags = [self.tag() for _ in commands]
        error = []

        def send():
            try:
                batch = []
                size = 0
                for t, cmd in zip(tags, commands):
                    batch.append(t + b" " + cmd + b"\r\n")
                    size += len(cmd)
                    if size > (1 << 20):
                        self.sock.sendall(b"".join(batch))
                        batch, size = [], 0
                if batch:
                    self.sock.sendall(b"".join(batch))
            except OSError as e:
                error.append(e)

        th = threading.Thread(target=send, daemon=True)
        th.start()
        replies = {}
        pending = set(tags)
        failures = []
        while pending:
            ln = self.line()
            if ln.startswith(b"*") or ln.startswith(b"+"):
                continue
            t, _, rest = ln.partition(b" ")
            if t in pending:
                pending.discard(t)
                replies[t] = rest
                if not rest.startswith(b"OK"):
                    failures.append((t, rest))
        th.join()
        if error:
            raise ImapError(f"{self.name}: {label}: send failed: {error[0]}")
        if failures:
            raise ImapError(f"{self.name}: {label}: {len(failures)} failed, first: {failures[0]!r}")
        return [replies[t] for t in tags]

    def search(self, args):
        """UID SEARCH: (set of UIDs, seconds from sending to the tagged OK)."""
        tag = self.tag()
        data = tag + b" UID SEARCH " + encode_args(args) + b"\r\n"
        t0 = time.perf_counter()
        self.sock.sendall(data)
        untagged, _ = self.wait(tag, data)
        elapsed = time.perf_counter() - t0
        uids = set()
        for ln in untagged:
            if ln.startswith(b"* SEARCH"):
                uids.update(int(x) for x in ln[8:].split())
        return uids, elapsed


def compress(uids):
    """A sorted list of UIDs as IMAP set atoms ("1:3", "7", ...)."""
    out = []
    run = None
    for u in sorted(uids):
        if run and u == run[1] + 1:
            run[1] = u
        else:
            if run:
                out.append(f"{run[0]}:{run[1]}" if run[1] > run[0] else str(run[0]))
            run = [u, u]
    if run:
        out.append(f"{run[0]}:{run[1]}" if run[1] > run[0] else str(run[0]))
    return out


def parse_uid_set(text):
    out = []
    for part in text.split(b","):
        lo, _, hi = part.partition(b":")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def load_append(name, port, corpus, batch_bytes=8 << 20, batch_messages=500):
    """Pipelined MULTIAPPENDs (RFC 3502: one command, one commit, for up to 500 messages or 8 MB), every literal
    LITERAL+, each message with its INTERNALDATE; checks that APPENDUID gives UIDs 1..N in order."""
    imap = Imap(name, port)
    try:
        imap.login(USER, PASSWORD)
        t0 = time.monotonic()
        cmds, cur, size = [], [], 0
        for data, when in zip(corpus.data, corpus.internal):
            date = when.strftime("%d-%b-%Y %H:%M:%S +0000")
            cur.append(b'"%s" {%d+}\r\n' % (date.encode(), len(data)) + data)
            size += len(data)
            if size >= batch_bytes or len(cur) >= batch_messages:
                cmds.append(b"APPEND INBOX " + b" ".join(cur))
                cur, size = [], 0
        if cur:
            cmds.append(b"APPEND INBOX " + b" ".join(cur))
        replies = imap.pipeline(cmds, "APPEND")
        del cmds, cur
        elapsed = time.monotonic() - t0
        uids = []
        for r in replies:
            k = r.find(b"[APPENDUID ")
            if k < 0:
                raise ImapError(f"{name}: APPEND answered without APPENDUID: {r[:200]!r}")
            uids += parse_uid_set(r[k:].split(b"]")[0].split()[2])
        if uids != list(range(1, corpus.n + 1)):
            bad = next((i for i, u in enumerate(uids) if u != i + 1), len(uids))
            raise ImapError(f"{name}: APPENDUID {uids[bad] if bad < len(uids) else None} for message {bad + 1} "
                            "(want UIDs 1..N in order)")
        imap.command(b"LOGOUT")
        return elapsed
    finally:
        imap.close()


def load_maildir(dovecot, corpus):
    """Writes the messages into the Dovecot user's Maildir/cur as Dovecot's own delivery would have (LF line
    ends, ",S=<size>,W=<size with CRLF>" in the name, mtime = INTERNALDATE), owned by the vmail user. The names
    start with <time>.M<n>: Dovecot assigns UIDs to new files in that order, so UIDs are 1..N as with APPEND
    (checked by finish_load through RFC822.SIZE and INTERNALDATE)."""
    t0 = time.monotonic()
    md = dovecot.maildir(USER)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    base = 1_600_000_000
    cur = os.path.join(md, "cur")
    for i, (data, when) in enumerate(zip(corpus.data, corpus.internal)):
        lf = data.replace(b"\r\n", b"\n")
        path = os.path.join(cur, f"{base + i}.M{i:06d}P1.bench,S={len(lf)},W={len(data)}:2,")
        with open(path, "wb") as f:
            f.write(lf)
        ts = when.timestamp()
        os.utime(path, (ts, ts))
    uid, gid = VMAIL
    for root, dirs, files in os.walk(dovecot.mail_root):
        os.chown(root, uid, gid)
        for f in files:
            os.chown(os.path.join(root, f), uid, gid)
    return time.monotonic() - t0


def finish_load(name, port, corpus):
    """SELECT (Dovecot indexes a Maildir written directly here), checks EXISTS = N and that UID k is message k
    (RFC822.SIZE and INTERNALDATE of every message), then STOREs \\Seen on corpus.seen."""
    imap = Imap(name, port)
    try:
        imap.login(USER, PASSWORD)
        t0 = time.monotonic()
        exists = imap.select()
        t_select = time.monotonic() - t0
        if exists != corpus.n:
            raise ImapError(f"{name}: INBOX has {exists} messages after loading {corpus.n}")
        untagged, _ = imap.command(b"UID FETCH 1:* (RFC822.SIZE INTERNALDATE)")
        got = {}
        for ln in untagged:
            if b" FETCH (" not in ln:
                continue
            items = ln[ln.index(b"(") + 1:].rstrip(b")")
            uid = int(items.split(b"UID ")[1].split()[0])
            size = int(items.split(b"RFC822.SIZE ")[1].split()[0])
            date = items.split(b'INTERNALDATE "')[1].split(b'"')[0].decode()
            got[uid] = (size, datetime.strptime(date.strip(), "%d-%b-%Y %H:%M:%S %z"))
        for i in range(corpus.n):
            want = (len(corpus.data[i]), corpus.internal[i])
            if got.get(i + 1) != want:
                raise ImapError(f"{name}: UID {i + 1} has RFC822.SIZE/INTERNALDATE {got.get(i + 1)}, want {want}")
        t1 = time.monotonic()
        atoms = compress(i + 1 for i in corpus.seen)
        stores, cur = [], []
        for a in atoms:
            cur.append(a)
            if sum(len(x) + 1 for x in cur) > 4000:
                stores.append(b"UID STORE " + ",".join(cur).encode() + b" +FLAGS.SILENT (\\Seen)")
                cur = []
        if cur:
            stores.append(b"UID STORE " + ",".join(cur).encode() + b" +FLAGS.SILENT (\\Seen)")
        imap.pipeline(stores, "STORE")
        t_store = time.monotonic() - t1
        unseen, _ = imap.search(["UNSEEN"])
        if len(unseen) != corpus.n - len(corpus.seen):
            raise ImapError(f"{name}: {len(unseen)} unseen after STORE, want {corpus.n - len(corpus.seen)}")
        imap.command(b"LOGOUT")
        return {"select_s": t_select, "store_s": t_store, "exists": exists}
    finally:
        imap.close()


# ---- servers -----------------------------------------------------------------------------------------------------

def ssha512(password, salt):
    return "{SSHA512}" + base64.b64encode(hashlib.sha512(password.encode() + salt).digest() + salt).decode()


def start_mssgw(tmp):
    state = os.path.join(tmp, "state")
    r = subprocess.run([MSSGW, "bal", "create", USER, "--owner", "800000000001", "--state", state],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"mssgw bal create failed: {r.stdout}{r.stderr}")
    with open(os.path.join(tmp, "users"), "w") as f:
        f.write(f"{USER}:{ssha512(PASSWORD, b'benchsalt')}\n")
    (port,) = free_ports(1)
    with open(os.path.join(tmp, "mssgw.toml"), "w") as f:
        # max_literal (APPENDLIMIT, and the largest LITERAL+ literal) stays at its default 50 MiB: the largest
        # generated message is ~420 KB.
        f.write(f"""[server]
state_dir = "{state}"
hostname = "imap.search.test"
threads = 2
[log]
file = "{tmp}/mssgw.log"
level = "warn"
[auth]
plain_enabled = true
users_file = "{tmp}/users"
[imap]
listen = ["{HOST}:{port}"]
plaintext_auth_loopback = true
max_literal = "50MiB"
""")
    proc = subprocess.Popen([MSSGW, "serve", "-c", os.path.join(tmp, "mssgw.toml")], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "mssgw.stderr"), "w"))
    if not wait_for_port(HOST, port, 20):
        proc.terminate()
        proc.wait(10)
        with open(os.path.join(tmp, "mssgw.stderr")) as f:
            sys.exit(f"mssgw did not start: {f.read()[-2000:]}")
    return proc, port


def du_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total / 1e6


# ---- main ----------------------------------------------------------------------------------------------------------

def fmt_ms(v):
    return f"{v * 1000:.1f}" if v < 10 else f"{v * 1000:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=50000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dovecot-maildir", action="store_true",
                    help="load Dovecot by writing its Maildir directly instead of APPENDs")
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.access(MSSGW, os.X_OK):
        sys.exit(f"{MSSGW} is missing (set MSSGW or MSSGW_BUILD_DIR)")
    if os.geteuid() != 0:
        sys.exit("run as root (Dovecot's master needs it)")

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    # Installed before DovecotPeer's (tests/integration/lib/instances.py keeps handlers that are not the default).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    load_start = os.getloadavg()
    commit = subprocess.run(["git", "-C", SOURCE, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dovecot_version = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"mssgw {MSSGW} (source {commit}), Dovecot {dovecot_version}; {os.cpu_count()} CPUs; load average at "
          f"start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}", flush=True)

    t0 = time.monotonic()
    corpus = make_corpus(args.messages)
    total = sum(len(m) for m in corpus.data)
    kinds = {k: corpus.kind.count(k) for k in sorted(set(corpus.kind))}
    print(f"generated {corpus.n} messages in {time.monotonic() - t0:.1f} s: {total / 1e6:.1f} MB "
          f"(mean {total / corpus.n / 1e3:.1f} KB, largest {max(len(m) for m in corpus.data) / 1e3:.0f} KB); "
          + ", ".join(f"{k} {v}" for k, v in kinds.items()), flush=True)
    plan = searches(corpus)

    results = {"messages": corpus.n, "repeat": args.repeat, "mailbox_mb": total / 1e6, "commit": commit,
               "dovecot": dovecot_version, "loadavg_start": load_start, "kinds": kinds, "searches": []}
    tmp = tempfile.mkdtemp(prefix="mssgw-search-bench-")
    mssgw = None
    dovecot = None
    conns = []
    failed = interrupted = False
    try:
        mssgw, mport = start_mssgw(tmp)
        dovecot = DovecotPeer(password=PASSWORD).start()
        servers = [("mssgw", mport), ("dovecot", dovecot.imap_port)]
        print(f"mssgw on {HOST}:{mport}, Dovecot on {HOST}:{dovecot.imap_port}", flush=True)
        for name, port in servers:
            if name == "mssgw" or not args.dovecot_maildir:
                how, elapsed = "messages in pipelined MULTIAPPENDs", load_append(name, port, corpus)
            else:
                how, elapsed = "Maildir files written", load_maildir(dovecot, corpus)
            r = finish_load(name, port, corpus)
            r.update(method=how, load_s=elapsed)
            results[f"load_{name}"] = r
            print(f"  {name}: {corpus.n} {how} in {elapsed:.1f} s ({corpus.n / elapsed:.0f} msg/s, "
                  f"{total / 1e6 / elapsed:.1f} MB/s); first SELECT {r['select_s']:.2f} s; STORE \\Seen on "
                  f"{len(corpus.seen)} in {r['store_s']:.2f} s; EXISTS {r['exists']}", flush=True)
        results["disk_mb_mssgw"] = du_mb(os.path.join(tmp, "state"))
        results["disk_mb_dovecot"] = du_mb(dovecot.maildir(USER))
        print(f"  on disk: mssgw state {results['disk_mb_mssgw']:.0f} MB, Dovecot Maildir "
              f"{results['disk_mb_dovecot']:.0f} MB", flush=True)

        for name, port in servers:
            c = Imap(name, port)
            conns.append(c)
            c.login(USER, PASSWORD)
            exists = c.select()
            if exists != corpus.n:
                raise ImapError(f"{name}: SELECT reports {exists} EXISTS, want {corpus.n}")
        times = {(label, name): [] for label, _, _ in plan for name, _ in servers}
        hits = {}
        warm = {}
        print("warm-up (untimed)", flush=True)
        for label, sargs, _ in plan:
            for c in conns:
                uids, el = c.search(sargs)
                hits[(label, c.name)] = uids
                warm[(label, c.name)] = el
        for rnd in range(args.repeat):
            for c in conns:
                c.select()
            # mssgw first in even rounds, Dovecot first in odd ones: what one server leaves running after a command
            # (Dovecot writing its cache, say) falls on the other's measurements evenly.
            order = conns if rnd % 2 == 0 else conns[::-1]
            for label, sargs, _ in plan:
                for c in order:
                    uids, el = c.search(sargs)
                    if uids != hits[(label, c.name)]:
                        raise ImapError(f"{c.name}: {label}: {len(uids)} hits, {len(hits[(label, c.name)])} "
                                        "in the warm-up")
                    times[(label, c.name)].append(el)
            print(f"round {rnd + 1}/{args.repeat} done", flush=True)
        for c in conns:
            c.command(b"LOGOUT")

        load_end = os.getloadavg()
        results["loadavg_end"] = load_end
        print(f"\n{corpus.n} messages, {total / 1e6:.1f} MB in the INBOX; UID SEARCH, {args.repeat} timed runs after "
              f"one warm-up; ms from sending the command to its tagged OK; ratio = Dovecot median / mssgw median")
        head = (f"{'search':36s} {'hits':>7s} {'expect':>7s} {'mssgw med/min':>15s} {'Dovecot med/min':>17s} "
                f"{'ratio':>7s}  {'first run m/D':>13s}")
        print(head)
        print("-" * len(head))
        notes = []
        for label, sargs, expected in plan:
            want = {i + 1 for i in expected}
            hm, hd = hits[(label, "mssgw")], hits[(label, "dovecot")]
            tm, td = times[(label, "mssgw")], times[(label, "dovecot")]
            mark = ""
            if hm != hd:
                mark = "!"
                notes.append(f"{label}: mssgw {len(hm)} hits, Dovecot {len(hd)}; only mssgw: "
                             f"{sorted(hm - hd)[:8]}, only Dovecot: {sorted(hd - hm)[:8]}")
            for name, h in (("mssgw", hm), ("dovecot", hd)):
                if h != want:
                    notes.append(f"{label}: {name} differs from the expected set ({len(h)} vs {len(want)}): "
                                 f"missing {sorted(want - h)[:8]}, extra {sorted(h - want)[:8]}")
            hits_s = f"{len(hm)}" if hm == hd else f"{len(hm)}/{len(hd)}"
            mm, md = statistics.median(tm), statistics.median(td)
            ratio = md / mm if mm > 0 else float("inf")
            print(f"{label:36s} {hits_s + mark:>7s} {len(want):>7d} {fmt_ms(mm):>7s}/{fmt_ms(min(tm)):<7s} "
                  f"{fmt_ms(md):>8s}/{fmt_ms(min(td)):<8s} {ratio:>6.2f}x  "
                  f"{fmt_ms(warm[(label, 'mssgw')]):>6s}/{fmt_ms(warm[(label, 'dovecot')]):<6s}")
            results["searches"].append({
                "search": label, "args": sargs, "expected": len(want), "hits_mssgw": len(hm), "hits_dovecot": len(hd),
                "same_hits": hm == hd, "mssgw_ms": [x * 1000 for x in tm], "dovecot_ms": [x * 1000 for x in td],
                "mssgw_median_ms": mm * 1000, "mssgw_min_ms": min(tm) * 1000, "dovecot_median_ms": md * 1000,
                "dovecot_min_ms": min(td) * 1000, "warmup_mssgw_ms": warm[(label, "mssgw")] * 1000,
                "warmup_dovecot_ms": warm[(label, "dovecot")] * 1000})
        sm = sum(statistics.median(times[(lb, "mssgw")]) for lb, _, _ in plan)
        sd = sum(statistics.median(times[(lb, "dovecot")]) for lb, _, _ in plan)
        print(f"{'sum of medians':36s} {'':>7s} {'':>7s} {fmt_ms(sm):>15s} {fmt_ms(sd):>17s} {sd / sm:>6.2f}x")
        print(f"\nmailbox: {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB) in {corpus.n} messages; load average at "
              f"start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, at the end {load_end[0]:.2f} "
              f"{load_end[1]:.2f} {load_end[2]:.2f}")
        if notes:
            print("\n! differences:")
            for note in notes:
                print("  " + note)
        results["notes"] = notes
    except (ImapError, OSError) as e:
        print(f"FAILED: {e}", file=sys.stderr, flush=True)
        failed = True
    except KeyboardInterrupt:
        print("interrupted: stopping the servers", file=sys.stderr, flush=True)
        interrupted = True
    finally:
        for c in conns:
            c.close()
        if mssgw is not None:
            mssgw.terminate()
            try:
                mssgw.wait(30)
            except subprocess.TimeoutExpired:
                mssgw.kill()
                mssgw.wait(10)
        if dovecot is not None:
            dovecot.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)
    sys.exit(130 if interrupted else 1 if failed else 0)


if __name__ == "__main__":
    main()
