"""Hardware-in-the-loop bench: boards, link channel, radiation, campaigns, pytest plugin."""
