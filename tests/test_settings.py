"""Settings fail at start-up with the offending key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from fluorowatch.settings import MIN_RETENTION_DAYS, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("FLUOROWATCH_") or key in {"DATABASE_URL", "MQTT_URL"}:
            monkeypatch.delenv(key)


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.database_url is None
    assert settings.display_timezone == "Asia/Tokyo"
    assert settings.telemetry_retention_days >= MIN_RETENTION_DAYS


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://u@h/db"),
        ("MQTT_URL", "http://broker:1883"),
        ("FLUOROWATCH_HTTP_PORT", "eighty"),
        ("FLUOROWATCH_HTTP_PORT", "70000"),
        ("FLUOROWATCH_DISPLAY_TIMEZONE", "Mars/Olympus"),
        ("FLUOROWATCH_ENVIRONMENT", "staging"),
        ("FLUOROWATCH_ESCALATION_HOURS", "0"),
        ("FLUOROWATCH_ESCALATION_HOURS", "-4"),
        ("FLUOROWATCH_ESCALATION_HOURS", "four"),
        ("FLUOROWATCH_PUBLIC_URL", "fw.example.jp"),
        ("FLUOROWATCH_PUBLIC_URL", "ftp://fw.example.jp"),
        ("FLUOROWATCH_AUTO_TICKET_LOSS_PCT", "150"),
    ],
)
def test_a_malformed_setting_is_refused_with_its_key_named(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(f"{key}:")
    assert "\n" not in str(error.value)


def test_an_unknown_fluorowatch_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUOROWATCH_DATABSE_URL", "postgresql://typo@h/db")
    with pytest.raises(SettingsError, match=r"^FLUOROWATCH_DATABSE_URL: unknown setting"):
        load_settings()


def test_retention_shorter_than_one_year_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """REGULATION.md (p) ハ: values and diagnoses are kept at least one year."""
    monkeypatch.setenv("FLUOROWATCH_TELEMETRY_RETENTION_DAYS", "365")
    with pytest.raises(SettingsError, match=r"^FLUOROWATCH_TELEMETRY_RETENTION_DAYS:"):
        load_settings()
    monkeypatch.setenv("FLUOROWATCH_TELEMETRY_RETENTION_DAYS", str(MIN_RETENTION_DAYS))
    assert load_settings().telemetry_retention_days == MIN_RETENTION_DAYS


def test_alert_history_kept_shorter_than_one_year_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """REGULATION.md (p) ニ: the notification history is kept at least one year."""
    monkeypatch.setenv("FLUOROWATCH_ALERT_RETENTION_DAYS", "100")
    with pytest.raises(SettingsError, match=r"^FLUOROWATCH_ALERT_RETENTION_DAYS:"):
        load_settings()
    monkeypatch.setenv("FLUOROWATCH_ALERT_RETENTION_DAYS", "400")
    assert load_settings().alert_retention_days == 400


def test_a_secret_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t-from-file\n")
    monkeypatch.setenv("FLUOROWATCH_SECRET_KEY_FILE", str(secret))
    assert load_settings().secret_key == "s3cr3t-from-file"


def test_a_missing_secret_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match=r"^DATABASE_URL_FILE: cannot read"):
        load_settings()


def test_production_refuses_the_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUOROWATCH_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match=r"^FLUOROWATCH_SECRET_KEY:"):
        load_settings()
    monkeypatch.setenv("FLUOROWATCH_SECRET_KEY", "a-real-secret")
    assert load_settings().environment == "production"


def test_the_display_time_zone_defaults_to_tokyo() -> None:
    assert load_settings().timezone.key == "Asia/Tokyo"
