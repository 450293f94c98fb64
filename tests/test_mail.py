"""Mail: a real SMTP server (aiosmtpd on loopback) receives the report; the MIME tree is checked."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import free_port, isolate, smtp_server

from odnb import cli
from odnb.api.profiles import MailSettings
from odnb.kpis.catalog import format_kpi, kpi_label
from odnb.reports.mail import MailError, send_html, send_report
from odnb.reports.run import run_report

NOTEBOOKS = Path(__file__).parent / "notebooks"
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


class Recorder:
    """aiosmtpd handler: records messages; ``rcpt_replies`` / ``data_replies`` script the first answers."""

    def __init__(self, rcpt_replies: list[str] | None = None, data_replies: list[str] | None = None) -> None:
        self.rcpt_replies, self.data_replies = list(rcpt_replies or []), list(data_replies or [])
        self.messages: list[tuple[list[str], bytes]] = []
        self.data_attempts = self.rcpt_attempts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts += 1
        reply = self.rcpt_replies.pop(0) if self.rcpt_replies else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, MailSettings]]:
    handler = Recorder()
    with smtp_server(handler) as controller:
        yield handler, MailSettings(host="127.0.0.1", port=controller.port, security="none",
                                    sender="reports@example.com")


def parse(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def check_report_message(raw: bytes) -> tuple[str, str]:
    """The MIME tree of a report mail; returns (plain text, html)."""
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/alternative"
    text_part, related = msg.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert images and all(p.get_content_type() == "image/png" for p in images)
    page = html_part.get_content()
    cids = set(re.findall(r'src="cid:([^"]+)"', page))
    content_ids = {p["Content-ID"].strip("<>") for p in images}
    assert cids and cids == content_ids, (cids, content_ids)  # every cid resolves, no orphan parts
    for p in images:
        assert p.get_content().startswith(b"\x89PNG")
    lowered = page.lower()
    assert "<script" not in lowered and "data:image" not in lowered and "https://" not in lowered
    assert len(raw) < 2_000_000
    return text_part.get_content(), page


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory):
    """One real run of the sample notebook, reused by the mail tests."""
    home = tmp_path_factory.mktemp("mail-home")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        result = run_report(NOTEBOOKS / "sample_report.ipynb", profile="demo")
    assert result.ok, result.error
    return result


@pytest.mark.slow
def test_report_mail_mime_tree_and_headline_text(smtp, sample_report) -> None:
    handler, settings = smtp
    send_report(sample_report, ["owner@example.com", "cfo@example.com"], settings)
    assert len(handler.messages) == 1
    rcpts, raw = handler.messages[0]
    assert rcpts == ["owner@example.com", "cfo@example.com"]
    text, page = check_report_message(raw)
    kpis = json.loads(sample_report.kpis_path.read_text())
    for key, value in kpis["kpis"].items():  # formatted as money / percent / count
        assert f"{kpi_label(key)}:" in text and format_kpi(key, value) in text
    assert "$" in text and "%" in text
    assert "not computed in the sample" in text  # the reason beside a null KPI
    assert kpis["period"]["start"] in text and "demo" in text
    assert "Sample practice report" in page
    subject = parse(raw)["Subject"]
    assert subject.startswith("Sample practice report — demo")  # the notebook's heading
    headline = ("net_production", "gross_production", "collections")
    first = next(k for k in headline if kpis["kpis"].get(k) is not None)
    assert subject.endswith(format_kpi(first, kpis["kpis"][first]))  # the headline figure
    assert str(sample_report.html_path.parent) not in text and sample_report.html_path.name in text
    figures = [ln for ln in text.splitlines() if any(ln.startswith(f"{kpi_label(k)}:") for k in kpis["kpis"])]
    assert len(figures) == len(kpis["kpis"])
    ends = {len(ln.split(" (", 1)[0]) for ln in figures}  # a null KPI's reason follows its "n/a"
    assert len(ends) == 1, "figures are right-aligned in one column"


def test_transient_451_is_retried(smtp) -> None:
    handler, settings = smtp
    handler.data_replies = ["451 4.3.0 Try again later"]
    send_html(f'<p>x</p><img src="data:image/png;base64,{PNG_1PX}">', ["a@example.com"], settings,
              subject="s", text="t", backoff=(0.05,))
    assert handler.data_attempts == 2 and len(handler.messages) == 1
    check_report_message(handler.messages[0][1])


def test_transient_rcpt_refusal_retries_only_that_recipient(smtp) -> None:
    handler, settings = smtp
    handler.rcpt_replies = ["250 OK", "452 4.2.2 Mailbox full, try later"]
    send_html("<p>x</p>", ["a@example.com", "b@example.com"], settings, subject="s", text="t",
              backoff=(0.05,))
    assert [r for r, _ in handler.messages] == [["a@example.com"], ["b@example.com"]]


def test_permanent_550_is_not_retried(smtp) -> None:
    handler, settings = smtp
    handler.rcpt_replies = ["550 5.1.1 No such user"] * 5
    with pytest.raises(MailError, match="550") as info:
        send_html("<p>x</p>", ["nobody@example.com"], settings, subject="s", text="t", backoff=(0.05,))
    assert handler.rcpt_attempts == 1 and not handler.messages
    assert not info.value.transient


def test_nothing_listening_is_retried_then_reported() -> None:
    settings = MailSettings(host="127.0.0.1", port=free_port(), security="none", sender="r@example.com")
    with pytest.raises(MailError, match="after 3 attempts") as info:
        send_html("<p>x</p>", ["a@example.com"], settings, subject="s", text="t", retries=3, backoff=(0.01,))
    assert info.value.transient


# ---------------------------------------------------------------------------------------------------------
# STARTTLS + login, with a self-signed certificate made here


def _self_signed(folder: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509", reason="VISIBLE SKIP: the cryptography package is needed "
                               "to make a test certificate")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[Recorder, MailSettings, ssl.SSLContext]]:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"reports" \
            and auth_data.password == b"s3cret-pw"
        return AuthResult(success=ok, handled=False)

    handler = Recorder()
    with smtp_server(handler, tls_context=server_ctx, require_starttls=True, authenticator=authenticator,
                     auth_require_tls=True) as controller:
        settings = MailSettings(host="127.0.0.1", port=controller.port, security="starttls",
                                user="reports", password="s3cret-pw", sender="reports@example.com")
        yield handler, settings, client_ctx


def test_starttls_and_login(tls_smtp) -> None:
    handler, settings, ctx = tls_smtp
    send_html("<p>over TLS</p>", ["a@example.com"], settings, subject="s", text="t", ssl_context=ctx)
    assert len(handler.messages) == 1 and b"over TLS" in handler.messages[0][1]


def test_bad_login_is_permanent_and_never_shows_the_password(tls_smtp) -> None:
    handler, settings, ctx = tls_smtp
    wrong = MailSettings(host=settings.host, port=settings.port, security="starttls", user="reports",
                         password="wrong-pw-123", sender="r@example.com")
    with pytest.raises(MailError) as info:
        send_html("<p>x</p>", ["a@example.com"], wrong, subject="s", text="t", ssl_context=ctx,
                  backoff=(0.01,))
    assert "wrong-pw-123" not in str(info.value) and "login" in str(info.value)
    assert "wrong-pw-123" not in repr(wrong)
    assert not handler.messages


def test_untrusted_certificate_is_a_clear_error(tls_smtp) -> None:
    _, settings, _ = tls_smtp
    with pytest.raises(MailError, match="TLS"):
        send_html("<p>x</p>", ["a@example.com"], settings, subject="s", text="t", backoff=(0.01,))


# ---------------------------------------------------------------------------------------------------------
# Through run_report / the CLI: failure notices, and mail problems that leave the report on disk


def write_mail_config(home: Path, port: int) -> None:
    (home / "config.toml").write_text(
        f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nsender = "reports@example.com"\n')


@pytest.mark.slow
def test_failure_notice_is_phi_free(smtp, isolated_home: Path, capsys) -> None:
    handler, settings = smtp
    write_mail_config(isolated_home, settings.port)
    code = cli.main(["report", str(NOTEBOOKS / "failing_report.ipynb"), "--profile", "demo",
                     "--email", "owner@example.com"])
    assert code == 1
    assert len(handler.messages) == 1
    msg = parse(handler.messages[0][1])
    assert "FAILED" in msg["Subject"] and "failing_report" in msg["Subject"]
    body = msg.get_content()
    assert "cell 4 of 5" in body and "RuntimeError" in body and "demo" in body
    for phi in ("Zebulon", "1931", "412.50", "ledger totals do not balance"):
        assert phi not in body, phi
    partial = list((isolated_home / "reports" / "demo").glob("failing_report-*.ipynb"))
    assert len(partial) == 1 and str(partial[0]) in body
    assert "Zebulon" not in capsys.readouterr().err


@pytest.mark.slow
def test_mail_failure_keeps_the_report_and_exits_3(smtp, isolated_home: Path, capsys) -> None:
    handler, settings = smtp
    handler.rcpt_replies = ["550 5.7.1 Relaying denied"]
    write_mail_config(isolated_home, settings.port)
    code = cli.main(["report", str(NOTEBOOKS / "sample_report.ipynb"), "--profile", "demo",
                     "--email", "owner@example.com"])
    captured = capsys.readouterr()
    assert code == 3
    assert "550" in captured.err and "kept" in captured.err
    html_path = Path(captured.out.strip().splitlines()[-1])
    assert html_path.is_file() and html_path.with_name(html_path.name[:-5] + ".kpis.json").is_file()


def test_email_without_mail_section_is_refused_before_running(isolated_home: Path, capsys) -> None:
    code = cli.main(["report", str(NOTEBOOKS / "sample_report.ipynb"), "--profile", "demo",
                     "--email", "owner@example.com"])
    assert code == 2 and "[mail]" in capsys.readouterr().err
    assert not (isolated_home / "reports").exists() or not any((isolated_home / "reports").rglob("*"))


def test_starttls_asked_of_a_server_without_it_is_a_clear_permanent_error(smtp) -> None:
    """smtplib's SMTPNotSupportedError is an OSError: it must not be retried as "cannot reach"."""
    handler, settings = smtp
    plain_server_asked_for_tls = MailSettings(host=settings.host, port=settings.port, security="starttls",
                                              sender="reports@example.com")
    with pytest.raises(MailError, match="security") as info:
        send_html("<p>x</p>", ["a@example.com"], plain_server_asked_for_tls, subject="s", text="t",
                  backoff=(30.0,))  # a retry would make this test wait 30 s
    assert not info.value.transient and "cannot reach" not in str(info.value)
    assert not handler.messages
