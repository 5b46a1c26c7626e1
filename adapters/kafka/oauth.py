"""OAUTHBEARER tokens from an OIDC provider, by the client-credentials grant.

aiokafka asks its ``sasl_oauth_token_provider`` for a token each time it opens a
connection to a broker (bootstrap, then each broker, then again after any reconnect, which
is what a broker does when a session's token expires). :class:`OidcTokenProvider` fetches
one before the first connection, keeps it, and fetches a new one once the old one is within
:data:`REFRESH_MARGIN` of its expiry, so every connection made while a tail runs - however
long - is given a token that is still valid.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from aiokafka.abc import AbstractTokenProvider

# Refresh when less than this share of a token's lifetime is left (and never later than
# 30 s before it ends), so a connection made just before expiry does not carry a dead token.
REFRESH_SHARE = 0.2
REFRESH_MARGIN = 30.0
# A token endpoint that gives no expires_in: assume an hour, the common default.
DEFAULT_LIFETIME = 3600.0


class TokenError(Exception):
    """No token could be had; the message says from where and why."""


class OidcTokenProvider(AbstractTokenProvider):  # type: ignore[misc]
    """Client-credentials tokens for aiokafka, fetched once and refreshed before expiry.

    ``clock`` (seconds, monotonic) is injectable so expiry can be tested without waiting.
    """

    def __init__(
        self,
        token_endpoint: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        extensions: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 15.0,
    ) -> None:
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self._extensions = dict(extensions or {})
        self._clock = clock
        self._timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many tokens were fetched: for the doctor's detail and tests

    @property
    def expires_in(self) -> float | None:
        """Seconds until the current token expires, or None before the first one."""
        return None if self._token is None else self._expires_at - self._clock()

    async def token(self) -> str:
        """A token valid for a while yet: the one kept, or a new one."""
        async with self._lock:  # several connections at once share one fetch
            if self._token is None or self._clock() >= self._refresh_at:
                token, lifetime = await asyncio.to_thread(self._fetch)
                now = self._clock()
                self._token = token
                self._expires_at = now + lifetime
                margin = max(lifetime * REFRESH_SHARE, min(REFRESH_MARGIN, lifetime / 2))
                self._refresh_at = now + lifetime - margin
                self.fetches += 1
            return self._token

    def extensions(self) -> dict[str, str]:
        return dict(self._extensions)

    def _fetch(self) -> tuple[str, float]:
        """POST the client-credentials grant; (access token, lifetime in seconds)."""
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        basic = base64.b64encode(
            f"{urllib.parse.quote(self.client_id)}:"
            f"{urllib.parse.quote(self._client_secret)}".encode()
        ).decode()
        request = urllib.request.Request(
            self.token_endpoint,
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            method="POST",
        )
        where = self.token_endpoint
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body: Any = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            hint = (
                "check the client id and secret"
                if exc.code in (400, 401, 403)
                else "the identity provider had a problem"
            )
            raise TokenError(
                f"the token endpoint {where} refused the request (HTTP {exc.code}): {hint}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TokenError(f"the token endpoint {where} cannot be reached: {reason}") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise TokenError(f"the token endpoint {where} did not answer with JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise TokenError(f"the token endpoint {where} answered without an access_token")
        lifetime = body.get("expires_in", DEFAULT_LIFETIME)
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = DEFAULT_LIFETIME
        return body["access_token"], float(lifetime)
