import subprocess
import sys

import pytest

from fakes import BASE, FAST, KS, make_world
from kaltura_avatar import AvatarConfig, AvatarError, AvatarErrorCode, KalturaAvatarSession, RetryConfig
from kaltura_avatar.config import CreateSessionOptions, InitSessionParams


def invalid(excinfo) -> AvatarError:
    assert excinfo.value.code is AvatarErrorCode.INVALID_CONFIGURATION
    return excinfo.value


def test_defaults_match_the_seed():
    config = AvatarConfig.parse({"baseUrl": BASE})
    assert config.retry_config == RetryConfig(max_attempts=3, initial_delay_ms=500, max_delay_ms=5000, backoff_multiplier=2)
    assert config.log_level == "info"
    assert config.keep_alive_interval_s == 10
    assert config.ice_transport_policy == "all"
    assert 10 <= config.connect_timeout_s <= 20


def test_camel_case_and_snake_case_keys_are_the_same_config():
    camel = AvatarConfig.parse(
        {"baseUrl": BASE + "/", "logLevel": "warn", "retryConfig": {"maxAttempts": 5, "initialDelayMs": 100,
                                                                     "maxDelayMs": 1000, "backoffMultiplier": 3},
         "iceTransportPolicy": "relay", "keepAliveIntervalS": 2}
    )
    snake = AvatarConfig.parse(
        {"base_url": BASE, "log_level": "warn", "retry_config": {"max_attempts": 5, "initial_delay_ms": 100,
                                                                  "max_delay_ms": 1000, "backoff_multiplier": 3},
         "ice_transport_policy": "relay", "keep_alive_interval_s": 2}
    )
    assert camel == snake
    assert camel.base_url == BASE  # trailing slash dropped


@pytest.mark.parametrize(
    "config, field",
    [
        ({}, "baseUrl"),
        ({"baseUrl": ""}, "baseUrl"),
        ({"baseUrl": "api.test/v1"}, "baseUrl"),
        ({"baseUrl": "ftp://api.test/v1"}, "baseUrl"),
        ({"baseUrl": "http://"}, "baseUrl"),
        ({"baseUrl": 42}, "baseUrl"),
        ({"baseUrl": BASE, "logLevel": "trace"}, "logLevel"),
        ({"baseUrl": BASE, "retryConfig": {"maxAttempts": 0}}, "retryConfig.maxAttempts"),
        ({"baseUrl": BASE, "retryConfig": {"maxAttempts": 11}}, "retryConfig.maxAttempts"),
        ({"baseUrl": BASE, "retryConfig": {"maxAttempts": 2.5}}, "retryConfig.maxAttempts"),
        ({"baseUrl": BASE, "retryConfig": {"maxAttempts": "3"}}, "retryConfig.maxAttempts"),
        ({"baseUrl": BASE, "retryConfig": {"initialDelayMs": True}}, "retryConfig.initialDelayMs"),
        ({"baseUrl": BASE, "retryConfig": {"backoffMultiplier": True}}, "retryConfig.backoffMultiplier"),
        ({"baseUrl": BASE, "retryConfig": {"maxDelayMs": float("nan")}}, "retryConfig.maxDelayMs"),
        ({"baseUrl": BASE, "connectTimeoutS": True}, "connectTimeoutS"),
        ({"baseUrl": BASE, "connectTimeoutS": "5"}, "connectTimeoutS"),
        ({"baseUrl": BASE, "reconnectAttempts": True}, "reconnectAttempts"),
        ({"baseUrl": BASE, "reconnectAttempts": 1.5}, "reconnectAttempts"),
        ({"baseUrl": BASE, "retryConfig": {"initialDelayMs": -1}}, "retryConfig.initialDelayMs"),
        ({"baseUrl": BASE, "retryConfig": {"maxDelayMs": 10**9}}, "retryConfig.maxDelayMs"),
        ({"baseUrl": BASE, "retryConfig": {"backoffMultiplier": 0.5}}, "retryConfig.backoffMultiplier"),
        ({"baseUrl": BASE, "retryConfig": {"initialDelayMs": 900, "maxDelayMs": 800}}, "retryConfig"),
        ({"baseUrl": BASE, "retryConfig": {"maxAttempt": 3}}, "retryConfig.maxAttempt"),
        ({"baseUrl": BASE, "connectTimeoutS": 0}, "connectTimeoutS"),
        ({"baseUrl": BASE, "keepAliveIntervalS": float("inf")}, "keepAliveIntervalS"),
        ({"baseUrl": BASE, "iceTransportPolicy": "none"}, "iceTransportPolicy"),
        ({"baseUrl": BASE, "apiKey": KS}, "apiKey"),
    ],
)
def test_bad_config_is_invalid_configuration_naming_the_field(config, field):
    with pytest.raises(AvatarError) as excinfo:
        KalturaAvatarSession(KS, config, platform=make_world().platform)
    err = invalid(excinfo)
    assert field in [e["field"] for e in err.details["errors"]]
    assert KS not in str(err) and KS not in repr(err.details)


def test_config_must_be_given_and_be_a_mapping():
    platform = make_world().platform
    for config in (None, "http://api.test", ["x"]):
        with pytest.raises(AvatarError) as excinfo:
            KalturaAvatarSession(KS, config, platform=platform)
        invalid(excinfo)


@pytest.mark.parametrize("api_key", ["", "   ", 123, "ks with spaces", "ks\r\nX-Evil: 1", "ks-\u00e9"])
def test_bad_api_key_is_invalid_configuration(api_key):
    with pytest.raises(AvatarError) as excinfo:
        KalturaAvatarSession(api_key, {"baseUrl": BASE}, platform=make_world().platform)
    invalid(excinfo)


def test_config_object_is_accepted_as_is():
    config = AvatarConfig(base_url=BASE, log_level="error")
    session = KalturaAvatarSession(None, config, platform=make_world().platform)
    assert session.get_session_state() == "IDLE"


def test_without_a_browser_a_platform_is_needed():
    with pytest.raises(AvatarError) as excinfo:
        KalturaAvatarSession(KS, {"baseUrl": BASE})
    invalid(excinfo)


def test_option_models_accept_the_seed_shapes_and_refuse_bad_values():
    assert CreateSessionOptions.parse({"avatarId": "a", "voiceId": "v", "videoContainerId": "c"}).voice_id == "v"
    assert InitSessionParams.parse({"sessionId": "s", "token": "t"}).token == "t"
    with pytest.raises(AvatarError) as excinfo:
        InitSessionParams.parse({"sessionId": "s", "token": "the-secret-token", "extra": 1})
    assert "the-secret-token" not in str(invalid(excinfo).details)
    for bad in ({"avatarId": ""}, {"avatarId": 5}, {}, {"avatarId": "a", "voiceId": " "}):
        with pytest.raises(AvatarError) as excinfo:
            CreateSessionOptions.parse(bad)
        invalid(excinfo)


async def test_log_level_applies_to_its_own_session_only(caplog):
    """Two sessions in one page log at their own levels; the last one made does not decide."""
    import logging

    quiet_world, chatty_world = make_world(), make_world()
    quiet_world.http.session_id, chatty_world.http.session_id = "quiet-1", "chatty-1"
    quiet = KalturaAvatarSession(KS, {**FAST, "logLevel": "warn"}, platform=quiet_world.platform)
    chatty = KalturaAvatarSession(KS, {**FAST, "logLevel": "debug"}, platform=chatty_world.platform)
    with caplog.at_level(logging.DEBUG, logger="kaltura_avatar"):
        await quiet.create_session("avatar-123")
        await chatty.create_session("avatar-123")
        await quiet.end_session()
        await chatty.end_session()
    assert "Session chatty-1 created" in caplog.text and "whep" in caplog.text.lower()
    assert "quiet-1" not in caplog.text  # every line about it was info or debug


@pytest.mark.parametrize("token", ["tok en", "tok\nen", "t\u00f6ken"])
async def test_a_token_that_cannot_be_a_header_is_invalid_configuration(token):
    session = KalturaAvatarSession(None, {"baseUrl": BASE}, platform=make_world().platform)
    with pytest.raises(AvatarError) as excinfo:
        await session.init_session("sess-1", token)
    invalid(excinfo)
    assert token not in str(excinfo.value) and session.get_session_state() == "IDLE"


def test_importing_the_sdk_leaves_pydantic_for_the_first_session():
    """`import kaltura_avatar` does not import pydantic (a page's boot spends that time later):
    the models load when a session is made or one is named."""
    probe = """
import sys, kaltura_avatar
from kaltura_avatar import KalturaAvatarSession, SessionState, AvatarError
light = "pydantic" not in sys.modules and "kaltura_avatar.config" not in sys.modules
from kaltura_avatar import RetryConfig
print(light, "pydantic" in sys.modules, RetryConfig().max_attempts, hasattr(kaltura_avatar, "NoSuchName"))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "3", "False"]


def test_a_session_without_pydantic_says_how_to_load_it():
    """A page that loaded kaltura-avatar but not pydantic (the lock leaves it to the page) can
    import the SDK; making a session says what to add, and the models load once pydantic is there."""
    probe = """
import sys
sys.modules["pydantic"] = None  # as in a page that has not loaded it: importing it fails
from kaltura_avatar import KalturaAvatarSession
try:
    KalturaAvatarSession(None, {"baseUrl": "https://example.test/v1/avatar-session"})
except ModuleNotFoundError as exc:
    print(exc.name, "packages (pyscript.toml)" in str(exc), 'loadPackage("pydantic")' in str(exc))
del sys.modules["pydantic"]  # now loaded: the models are there
from kaltura_avatar import AvatarConfig
print(AvatarConfig.parse({"baseUrl": "https://example.test/v1/avatar-session"}).log_level)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["pydantic", "True", "True", "info"]
