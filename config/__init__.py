"""Project configuration: one settings object, read from EEA_* environment variables and validated at start-up."""

from config.settings import ROOT, Settings, SettingsError, load_settings, quiet_telemetry

__all__ = ["ROOT", "Settings", "SettingsError", "load_settings", "quiet_telemetry"]
