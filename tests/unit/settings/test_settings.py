"""Settings load in order and refuse configurations that cannot run."""

import pytest

from lti_tool.settings import SettingsError, load_settings, normalise_database_url


def test_postgres_urls_from_hosting_platforms_use_the_psycopg_driver():
    assert normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_environment_variables_override_the_toml_defaults():
    settings = load_settings(environ={"SBG_ENV": "test", "SBG_SESSION_TOKEN_TTL": "120",
                                      "DATABASE_URL": "postgres://db/sbg"})
    assert settings.session_token_ttl == 120
    assert settings.database_url == "postgresql+psycopg://db/sbg"


def test_production_without_a_secret_key_refuses_to_start():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings(environ={"SBG_ENV": "production", "SBG_BASE_URL": "https://sbg.example.org"})


def test_production_needs_an_https_base_url():
    with pytest.raises(SettingsError, match="https"):
        load_settings(environ={"SBG_ENV": "production", "SECRET_KEY": "k" * 40, "SBG_BASE_URL": "http://x"})


def test_production_never_serves_the_development_platform():
    settings = load_settings(environ={"SBG_ENV": "production", "SECRET_KEY": "k" * 40,
                                      "SBG_BASE_URL": "https://sbg.example.org", "SBG_DEV_PLATFORM": "1"})
    assert settings.dev_platform is False


def test_redis_url_moves_the_queue_to_redis():
    assert load_settings(environ={"REDIS_URL": "redis://localhost:1/0"}).effective_queue_mode == "redis"
    assert load_settings(environ={}).effective_queue_mode == "sqlite"


def test_development_base_url_follows_the_port():
    assert load_settings(environ={"PORT": "5123"}).base_url == "http://127.0.0.1:5123"
