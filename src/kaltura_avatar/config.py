"""Configuration and arguments: the pydantic models (``AvatarConfig``, ``RetryConfig``, the
option and parameter models), camelCase (the seed's) and snake_case keys both, all raising
``AvatarError(INVALID_CONFIGURATION)``. Imported on first use (``checks`` has the plain checks).

>>> AvatarConfig.parse({"baseUrl": "https://example.test/v1/avatar-session", "logLevel": "debug"}).log_level
'debug'
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from .checks import invalid, is_header_safe
from .errors import AvatarError, AvatarErrorCode

try:
    from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator,
                          model_validator)
    from pydantic.alias_generators import to_camel
except ModuleNotFoundError as exc:  # in the browser: a page that has not loaded pydantic (yet)
    if exc.name != "pydantic":
        raise
    raise ModuleNotFoundError(
        "kaltura_avatar needs pydantic for a session's config, and this page has not loaded it: list "
        '"pydantic" in the page\'s packages (pyscript.toml), or load it before the first session '
        '(await pyodide_js.loadPackage("pydantic")).', name="pydantic") from exc

NonEmptyStr = Annotated[str, Field(min_length=1, strict=True)]


class _Model(BaseModel):
    # defer_build: each model's validator is built on its first use, not at import (in the
    # browser that is a few hundred ms off the page's boot).
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, strict=True,
        defer_build=True,
    )

    @classmethod
    def parse(cls, value: Any):
        """``value`` as this model (an instance, a dict with camelCase or snake_case keys),
        or ``AvatarError(INVALID_CONFIGURATION)`` naming each bad field (never its value)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if not isinstance(value, dict):
            raise AvatarError(
                AvatarErrorCode.INVALID_CONFIGURATION,
                f"{cls.__name__} must be a dict or a {cls.__name__}, not {type(value).__name__}",
            )
        try:
            return cls.model_validate(value)
        except ValidationError as exc:
            raise invalid_configuration(cls.__name__, exc) from None

    @field_validator("*", mode="after")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be blank")
        return value


def invalid_configuration(what: str, exc: ValidationError) -> AvatarError:
    problems = [
        {"field": ".".join(str(p) for p in err["loc"]) or what, "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return AvatarError(
        AvatarErrorCode.INVALID_CONFIGURATION, f"Invalid {what}: {summary}", {"errors": problems}
    )


def _number(value: Any, whole: bool = False) -> Any:
    """A real number (not a bool, not a string), finite, and whole when ``whole``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if whole and not float(value).is_integer():
        raise ValueError("must be a whole number")
    return value


Number = Annotated[float, BeforeValidator(_number)]
Whole = Annotated[int, BeforeValidator(lambda value: _number(value, whole=True))]


class RetryConfig(_Model):
    """How Control API and WHEP calls are retried (429, 5xx, network errors, timeouts)."""

    max_attempts: Whole = Field(3, ge=1, le=10)
    initial_delay_ms: Number = Field(500, ge=0, le=60_000)
    max_delay_ms: Number = Field(5000, ge=0, le=300_000)
    backoff_multiplier: Number = Field(2, ge=1, le=10)

    model_config = ConfigDict(strict=False)  # ints for floats, as JSON gives them

    @model_validator(mode="after")
    def _delays_ordered(self) -> RetryConfig:
        if self.max_delay_ms < self.initial_delay_ms:
            raise ValueError("maxDelayMs must be >= initialDelayMs")
        return self


def _positive_seconds(upper: float):
    return Field(gt=0, le=upper)


class AvatarConfig(_Model):
    """The session's configuration. ``base_url`` is required and must be an http(s) URL."""

    base_url: str
    retry_config: RetryConfig = Field(default_factory=RetryConfig)
    log_level: Literal["debug", "info", "warn", "error"] = "info"
    # Knobs beyond the seed, with defaults that suit the live service.
    connect_timeout_s: Annotated[Number, _positive_seconds(120)] = 15.0
    request_timeout_s: Annotated[Number, _positive_seconds(120)] = 10.0
    keep_alive_interval_s: Annotated[Number, _positive_seconds(60)] = 10.0
    ice_transport_policy: Literal["all", "relay"] = "all"
    reconnect_attempts: Whole = Field(3, ge=0, le=10)
    media_timeout_s: Annotated[Number, _positive_seconds(60)] = 4.0
    stats_interval_s: Annotated[Number, _positive_seconds(1)] = 0.1
    captions: Annotated[bool, Field(strict=True)] = True  # caption events and the <video>'s captions track

    model_config = ConfigDict(strict=False)

    @field_validator("base_url", mode="before")
    @classmethod
    def _http_url(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or a fragment")
        return value.strip().rstrip("/")

    @field_validator("retry_config", mode="before")
    @classmethod
    def _retry(cls, value: Any) -> Any:
        return RetryConfig() if value is None else value

    @field_validator("log_level", "ice_transport_policy", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class CreateSessionOptions(_Model):
    avatar_id: NonEmptyStr
    voice_id: NonEmptyStr | None = None
    video_container_id: NonEmptyStr | None = None

    @classmethod
    def from_call(cls, avatar_id: Any, voice_id: Any, video_container_id: Any) -> CreateSessionOptions:
        """``create_session``'s arguments: the seed's options dict, or positional/keyword ids."""
        if isinstance(avatar_id, (dict, CreateSessionOptions)):
            if voice_id is not None or video_container_id is not None:
                raise invalid("pass either an options dict or arguments, not both")
            return cls.parse(avatar_id)
        return cls.parse({"avatar_id": avatar_id, "voice_id": voice_id, "video_container_id": video_container_id})


class InitSessionParams(_Model):
    session_id: NonEmptyStr
    token: NonEmptyStr

    @field_validator("token")
    @classmethod
    def _header_safe(cls, value: str) -> str:
        if not is_header_safe(value):
            raise ValueError("must be printable ASCII without spaces (it is sent in a header)")
        return value


class InitSessionOptions(_Model):
    video_container_id: NonEmptyStr | None = None


def init_arguments(session_id: Any, token: Any, video_container_id: Any) -> tuple[InitSessionParams, InitSessionOptions]:
    """``init_session``'s arguments: the seed's ``({"sessionId", "token"}, {"videoContainerId"})``,
    or positional/keyword values."""
    if isinstance(session_id, (dict, InitSessionParams)):
        params = InitSessionParams.parse(session_id)
        options = InitSessionOptions.parse({} if token is None else token)
        if video_container_id is not None:
            if options.video_container_id is not None:
                raise invalid("video_container_id given twice")
            options = InitSessionOptions(video_container_id=video_container_id)
        return params, options
    params = InitSessionParams.parse({"session_id": session_id, "token": token})
    return params, InitSessionOptions.parse({"video_container_id": video_container_id})
