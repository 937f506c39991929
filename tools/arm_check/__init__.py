"""ARM build check of the firmware_stubs C kernels (run.py; docs/bench.md)."""
