"""Check reporting for integration tests, in the style of tests/integration/cli: one `ok - ` / `not ok - ` line per
check, then 'N passed, M failed'.

    rep = Report()
    rep.check(r.code == 530, "plaintext MAIL is refused with 530", r)
    sys.exit(rep.summary())     # exit status 0 only when nothing failed
"""
import time


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.t0 = time.monotonic()

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok - {what}", flush=True)
        else:
            self.failed += 1
            detail = str(detail).replace("\n", "\n    ")
            print(f"not ok - {what}\n    {detail}", flush=True)
        return bool(ok)

    def note(self, text):
        print(f"# {text}", flush=True)

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed ({time.monotonic() - self.t0:.1f} s)", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1
