"""The test PKI for integration tests and benchmarks: makes sure it exists and names its files.

ensure_pki(directory=None) runs `bash $MSSGW_SOURCE_DIR/deploy/pki/make-test-pki.sh DIR` (idempotent, takes its own
lock, about 4 s the first time, instant afterwards) and returns a TestPKI whose attributes are absolute paths.
The default DIR is $MSSGW_BUILD_DIR/test-pki, so every test of one build shares one PKI.
TEST ONLY: every key in it is unencrypted and world-readable (deploy/pki/README.md).

    pki = ensure_pki()
    pki.anchors                      # trust/anchors.pem (root + intermediate)
    pki.gamma.chain, pki.gamma.key   # an operator's SERV SSL credential (alpha, beta, gamma, revoked, expired)
    pki.rogue.chain                  # alpha's DN issued by an untrusted CA
    ctx = pki.client_context(pki.alpha)   # ssl.SSLContext presenting alpha, verifying the server
"""
import os
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("MSSGW_SOURCE_DIR") or Path(__file__).resolve().parents[3])


@dataclass(frozen=True)
class Credential:
    """A certificate and its key. `chain` is what a TLS peer presents (leaf + intermediate when there is one)."""
    name: str
    cert: str
    key: str
    chain: str
    # For operator certificates: the server name in the CN/SAN and the mail domain it serves.
    hostname: str = ""
    domain: str = ""


@dataclass(frozen=True)
class TestPKI:
    root: str
    anchors: str          # root + intermediate: what a gateway (and Postfix's *_CAfile) loads
    root_only: str
    root_ca: str
    org_ca: str           # the intermediate, "TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS"
    crl_all: str          # root + intermediate CRLs, revoked listed
    crl_org: str
    crl_stale: str        # nextUpdate in the past
    whitelist: str        # ANS-format whitelist.xml
    rogue_ca: str
    alpha: Credential
    beta: Credential
    gamma: Credential
    revoked: Credential   # SERV SSL listed in the intermediate's CRL
    expired: Credential   # valid 2020-01-01 .. 2021-01-01
    rogue: Credential     # "alpha impostor": alpha's DN and SANs, issued by the rogue CA
    cps: Credential       # CPS-like personal certificate (idNat 810001234567)
    lgc: Credential       # organisation certificate of a practice software (clientAuth only)

    def operator(self, name):
        """The credential of an operator by name: alpha, beta, gamma, revoked, expired."""
        if name not in ("alpha", "beta", "gamma", "revoked", "expired"):
            raise ValueError(f"no operator {name!r} in the test PKI")
        return getattr(self, name)

    def client_context(self, credential=None, verify=True, server_name=None, maximum_version=None):
        """An SSLContext for a TLS client: TLS >= 1.2, presents `credential` (None: no certificate), verifies the
        server against the anchors (verify=False: no verification). server_name, when given, is checked against
        the server certificate (then pass it as server_hostname to wrap_socket / smtplib)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if maximum_version is not None:
            ctx.maximum_version = maximum_version
        if verify:
            ctx.load_verify_locations(cafile=self.anchors)
            ctx.check_hostname = server_name is not None
            ctx.verify_mode = ssl.CERT_REQUIRED
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if credential is not None:
            ctx.load_cert_chain(credential.chain, credential.key)
        return ctx


def default_dir():
    build = os.environ.get("MSSGW_BUILD_DIR")
    if build:
        return os.path.join(build, "test-pki")
    return os.path.join(os.environ.get("TMPDIR", "/tmp"), "mssgw-test-pki")


_cache = {}


def ensure_pki(directory=None):
    """Generates the PKI in `directory` if it is missing or about to expire, and returns a TestPKI.
    Raises RuntimeError with the generator's output when it fails."""
    directory = os.path.abspath(directory or default_dir())
    if directory in _cache:
        return _cache[directory]
    script = SOURCE_DIR / "deploy" / "pki" / "make-test-pki.sh"
    p = subprocess.run(["bash", str(script), directory], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"make-test-pki.sh {directory} failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")
    d = Path(directory)

    def f(rel):
        path = d / rel
        if not path.exists():
            raise RuntimeError(f"test PKI in {directory} lacks {rel}")
        return str(path)

    def operator(name):
        return Credential(name, f(f"operators/{name}.pem"), f(f"operators/{name}.key"),
                          f(f"operators/{name}-chain.pem"), f"mx.{name}.mssante.test", f"{name}.mssante.test")

    pki = TestPKI(
        root=directory, anchors=f("trust/anchors.pem"), root_only=f("trust/root-only.pem"),
        root_ca=f("root-ca.pem"), org_ca=f("org-ca.pem"),
        crl_all=f("crl/all.crl.pem"), crl_org=f("crl/org-ca.crl.pem"), crl_stale=f("crl/org-ca-stale.crl.pem"),
        whitelist=f("whitelist.xml"), rogue_ca=f("rogue/rogue-ca.pem"),
        alpha=operator("alpha"), beta=operator("beta"), gamma=operator("gamma"),
        revoked=operator("revoked"), expired=operator("expired"),
        rogue=Credential("rogue", f("rogue/alpha-impostor.pem"), f("rogue/alpha-impostor.key"),
                         f("rogue/alpha-impostor.pem"), "mx.alpha.mssante.test", "alpha.mssante.test"),
        cps=Credential("cps-dupont", f("persons/cps-dupont.pem"), f("persons/cps-dupont.key"),
                       f("persons/cps-dupont.pem")),
        lgc=Credential("lgc-alpha", f("apps/lgc-alpha.pem"), f("apps/lgc-alpha.key"), f("apps/lgc-alpha.pem"),
                       "lgc.alpha.mssante.test", "alpha.mssante.test"),
    )
    _cache[directory] = pki
    return pki
