"""Amazon MSK IAM sign-in: tokens from AWS's own signer, refreshed before they expire.

MSK's IAM mechanism is carried by SASL OAUTHBEARER: the token is a SigV4-presigned
``kafka-cluster:Connect`` URL made by ``aws-msk-iam-sasl-signer-python`` from the user's
AWS profile, or from the environment's credentials (variables, SSO cache, instance role)
when no profile is named. Tokens last 15 minutes; a new one is signed when less than a fifth
of that is left, so connections made during a long tail always carry a valid one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka.abc import AbstractTokenProvider

REFRESH_SHARE = 0.2


class AwsSignInError(Exception):
    """No MSK token could be signed; the message says why and what to do."""


def sign_token(region: str, aws_profile: str | None = None) -> tuple[str, float]:
    """A signed MSK token and its lifetime in seconds (blocking: botocore reads files)."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if aws_profile:
            token, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_profile(
                region, aws_profile
            )
        else:
            token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
    except (BotoCoreError, ClientError, ValueError, KeyError) as exc:
        source = f"AWS profile {aws_profile!r}" if aws_profile else "the environment"
        raise AwsSignInError(
            f"no MSK IAM token could be signed with the credentials of {source}: {exc}. "
            "Sign in with `aws sso login` (or `aws configure`), or name another AWS profile."
        ) from exc
    lifetime = max(1.0, expiry_ms / 1000 - time.time())
    return str(token), lifetime


class MskIamTokenProvider(AbstractTokenProvider):  # type: ignore[misc]
    """aiokafka's token provider for MSK IAM; ``signer`` and ``clock`` are injectable."""

    def __init__(
        self,
        region: str,
        aws_profile: str | None = None,
        *,
        signer: Callable[[str, str | None], tuple[str, float]] = sign_token,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        self.aws_profile = aws_profile
        self._signer = signer
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                token, lifetime = await asyncio.to_thread(
                    self._signer, self.region, self.aws_profile
                )
                self._token = token
                self._refresh_at = self._clock() + lifetime * (1 - REFRESH_SHARE)
                self.fetches += 1
            return self._token
