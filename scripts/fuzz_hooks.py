"""Schemathesis hooks for Rebind: sign every generated POST /v1/events correctly.

Requests to the admin listener's /readyz and /metrics get the server's REBIND_ADMIN_TOKEN
(read from the environment, never a flag) as their bearer token, every other one of those
without a generated header is left without, to be refused with 401.

Loaded through SCHEMATHESIS_HOOKS=fuzz_hooks (with this directory on PYTHONPATH). The secret
comes from REBIND_EVENTS_SECRET, the one the server under test was started with. Each request
gets a unique webhook-id, a fresh timestamp and a Standard Webhooks signature over the exact
bytes that will be sent (in place of whatever values were generated for those headers), so generated bodies get past the signature check and reach the
decoder, the validation and the store instead of all stopping at 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os
import threading
import time
import uuid

import requests
import schemathesis

_SECRET = os.environ.get("REBIND_EVENTS_SECRET", "").split()[0:1]
_KEY = base64.b64decode(_SECRET[0].removeprefix("whsec_")) if _SECRET else b""
_RUN = uuid.uuid4().hex[:12]
_COUNTER = itertools.count()
_LOCK = threading.Lock()


def _body_bytes(case) -> bytes:
    """The body exactly as the requests transport will send it."""
    kwargs = case.as_transport_kwargs()
    prepared = requests.Request(
        method=kwargs["method"], url=kwargs["url"], headers=kwargs.get("headers"),
        json=kwargs.get("json"), data=kwargs.get("data"), files=kwargs.get("files"),
    ).prepare()
    body = prepared.body
    if body is None:
        return b""
    return body if isinstance(body, bytes) else body.encode("utf-8")


_TELEGRAM_SECRET = os.environ.get("REBIND_TELEGRAM_WEBHOOK_SECRET", "")
_ADMIN_TOKEN = os.environ.get("REBIND_ADMIN_TOKEN", "")
_ADMIN_PATHS = ("/readyz", "/metrics")
_ADMIN_COUNTERS = {path: itertools.count() for path in _ADMIN_PATHS}
_SLACK_SECRET = os.environ.get("REBIND_SLACK_SIGNING_SECRET", "").encode()


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path in _ADMIN_PATHS:
        # The admin listener's bearer token in place of a generated one, and on every other
        # case that has none, so both the 200s and the 401s are exercised.
        with _LOCK:
            number = next(_ADMIN_COUNTERS[case.operation.path])
        headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "authorization"}
        if number % 2 == 0 or len(headers) != len(case.headers or {}):
            headers["Authorization"] = f"Bearer {_ADMIN_TOKEN}"
        case.headers = headers
        return
    if case.operation.method.upper() != "POST":
        return
    if case.operation.path == "/v1/telegram/webhook":
        # Telegram's secret token, unless the case deliberately leaves the header out.
        headers = dict(case.headers or {})
        for name in list(headers):
            if name.lower() == "x-telegram-bot-api-secret-token":
                headers[name] = _TELEGRAM_SECRET
        case.headers = headers
        return
    if case.operation.path.startswith("/v1/slack/"):
        # Slack's signing v0 over the exact body, so generated payloads reach the parsers;
        # a case that leaves a header out still gets 401.
        timestamp = str(int(time.time()))
        body = _body_bytes(case)
        signature = "v0=" + hmac.new(_SLACK_SECRET, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        signed = {"x-slack-request-timestamp": timestamp, "x-slack-signature": signature}
        case.headers = {name: signed.get(name.lower(), value) for name, value in (case.headers or {}).items()}
        return
    if case.operation.path not in ("/v1/events", "/v1/links"):
        return
    if not _KEY:
        raise RuntimeError("REBIND_EVENTS_SECRET is not set for the fuzz hooks")
    with _LOCK:
        number = next(_COUNTER)
    webhook_id = f"msg_fuzz_{_RUN}_{number:07d}"
    timestamp = str(int(time.time()))
    body = _body_bytes(case)
    mac = hmac.new(_KEY, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    signed = {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    # Replace the generated values, but leave out a header the case deliberately omits
    # (schemathesis's missing-header cases): that request must still be refused with 401.
    headers = {}
    for name, value in (case.headers or {}).items():
        headers[name] = signed.get(name.lower(), value)
    case.headers = headers
