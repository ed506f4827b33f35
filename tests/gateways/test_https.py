"""The HTTPS transport's Claim.MD profile against a real TLS server on 127.0.0.1 (trustme CA)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pctui.core.connection_settings import HttpsSettings
from pctui.gateways import GatewayConfig, GatewayError, RetryPolicy, Step, open_transport
from tests.servers import ClaimMdServer

FAST = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)
ERA = b"ISA*00*          *00*          *ZZ*CLAIMMD~"


@pytest.fixture
def api(tmp_path: Path):
    with ClaimMdServer(tmp_path) as server:
        yield server


def config(api: ClaimMdServer, key: str | None = None, **settings) -> GatewayConfig:
    values = dict(ca_bundle=str(api.ca_file), timeout_seconds=3)
    values.update(settings)
    return GatewayConfig("https", api.endpoint, HttpsSettings(**values),
                         api.state.key if key is None else key, "Claim.MD")


def test_the_key_travels_as_the_accountkey_form_field_and_never_in_the_url(api) -> None:
    with open_transport(config(api), FAST) as t:
        assert t.list({}) == []
    paths = [p for p, _ in api.state.requests]
    assert paths == ["/services/response/", "/services/eralist/"]
    assert all(fields["AccountKey"] == api.state.key for _, fields in api.state.requests)
    assert all(api.state.key not in p for p in paths)
    assert api.state.requests[1][1]["NewOnly"] == "0"  # our cursor decides what is new


def test_the_key_can_travel_in_a_header_instead(api) -> None:
    with open_transport(config(api, key_in="header", key_name="X-Api-Key"), FAST) as t:
        with pytest.raises(GatewayError):  # the test server wants the form field
            t.list({})
    assert api.state.headers_seen[0]["X-Api-Key"] == api.state.key
    assert "AccountKey" not in api.state.requests[0][1]


def test_a_wrong_key_is_a_clear_401_message(api) -> None:
    with open_transport(config(api, key="wrong-key-123456"), FAST) as t:
        with pytest.raises(GatewayError) as failed:
            t.list({})
        report = t.test({})
    assert failed.value.step is Step.LOGIN
    assert str(failed.value) == ("Login: the API refused the key (HTTP 401): check this "
                                 "connection's API key")
    assert report.failed.step is Step.LOGIN
    assert [s.step for s in report.steps if s.ok] == [Step.NAME, Step.NETWORK, Step.TLS]
    assert len(api.state.requests) == 2  # a refused key is not retried


def test_cursors_continue_from_the_last_response_and_era(api) -> None:
    api.add_response("CLM-1", "A", "accepted")
    api.add_response("CLM-2", "R", "subscriber id invalid")
    first_era = api.add_era(ERA + b"1")
    with open_transport(config(api), FAST) as t:
        files = t.list({})
        assert [(f.name, f.stream, f.position) for f in files] == [
            ("claimmd-responses-1-2.json", "response", "2"),
            (f"era-{first_era}.835", "era", str(first_era))]
        assert b'"CLM-2"' in t.fetch(files[0])
        assert t.fetch(files[1]) == ERA + b"1"
    api.add_response("CLM-3", "A")
    second_era = api.add_era(ERA + b"2")
    with open_transport(config(api), FAST) as t:
        files = t.list({"response": "2", "era": str(first_era)})
    assert [f.name for f in files] == ["claimmd-responses-3-3.json", f"era-{second_era}.835"]
    asked = [f for p, f in api.state.requests if p == "/services/response/"]
    assert asked[-1]["ResponseID"] == "2"


def test_5xx_is_retried_then_reported(api) -> None:
    api.state.fail_next = 2
    with open_transport(config(api), FAST) as t:
        assert t.list({}) == []  # two failures, then it answered
    api.state.fail_next = 10
    with open_transport(config(api), FAST) as t:
        with pytest.raises(GatewayError) as failed:
            t.list({})
    assert failed.value.step is Step.TRANSFER
    assert "HTTP 503" in failed.value.message and "tried 3 times" in failed.value.message


def test_an_upload_is_sent_once_and_not_repeated_after_a_500(api) -> None:
    with open_transport(config(api), FAST) as t:
        sent = t.put("claims.837", b"ISA*claims")
    assert sent.reference == "501" and sent.note == "Claim.MD file 501"
    assert api.state.uploads == [("claims.837", b"ISA*claims")]
    assert api.state.requests[-1][1]["Filename"] == "claims.837"
    api.state.fail_next, api.state.fail_status = 5, 500
    with open_transport(config(api), FAST) as t:
        with pytest.raises(GatewayError, match="HTTP 500"):
            t.put("again.837", b"ISA*again")
    assert api.state.fail_next == 4  # one attempt only: it may have been taken


def test_a_slow_server_times_out_in_bounded_time(api) -> None:
    import time

    api.state.delay_seconds = 2.0
    started = time.monotonic()
    with open_transport(config(api, timeout_seconds=1), RetryPolicy(attempts=2, first_delay=0.01)) as t:
        with pytest.raises(GatewayError) as failed:
            t.list({})
    assert time.monotonic() - started < 8
    assert "no answer within 1 s" in failed.value.message


def test_an_untrusted_certificate_is_a_tls_failure(api) -> None:
    with open_transport(config(api, ca_bundle=""), FAST) as t:
        report = t.test({})
        with pytest.raises(GatewayError) as failed:
            t.list({})
    assert report.failed.step is Step.TLS and "not trusted" in report.failed.detail
    assert failed.value.step is Step.TLS
    assert api.state.requests == []  # the key never left


def test_every_step_passes_against_a_working_api(api) -> None:
    api.add_era(ERA)
    with open_transport(config(api), FAST) as t:
        report = t.test({})
    assert report.ok, report.lines()
    assert report.lines()[-1] == "✓ Folders / API: the ERA list answers; 1 new ERA waiting"
