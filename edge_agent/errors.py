"""Errors the agent reports to its operator."""


class ConfigError(Exception):
    """The configuration file is unreadable or invalid; the message names the file, line and key."""
