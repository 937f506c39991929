"""The operator console: a full-screen terminal UI (textual) on a ground station or replay.

Import :mod:`ground_sw.console.app` for the application; :mod:`ground_sw.console.arguments`
(command text parsing, completion, argument help) has no UI dependency and is shared with
the ``ground-sw`` command line.
"""
