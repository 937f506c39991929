"""The board contract suite runs on the fixtures of the hil pytest plugin.

The plugin comes in through its ``pytest11`` entry point (or ``-p hil.pytest_plugin``); while
the installed package metadata predates that entry point, it is registered here instead.
"""

from __future__ import annotations

import pytest

from hil import pytest_plugin


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "hil")
