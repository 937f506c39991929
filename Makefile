# Every target creates and reuses its own virtual environment in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BUILD_INPUTS := pyproject.toml setup.py $(wildcard src/firmware_stubs/_build*.py src/firmware_stubs/csrc/*)

.PHONY: install demo test lint pytest bench soak kernels clean yamcs-check arm-check

install: $(STAMP)

$(STAMP): $(BUILD_INPUTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job: the mission demo (emulated board behind a lunar link: upload, compute,
## radiation soak, verify, download, report; docs/demo.md).
demo: $(STAMP)
	$(VENV)/bin/hil demo

## The full default test run: lint, type check, then the test suite.
test: lint pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks

## Longer runs than the default tests (figures in the closing notes): 100k malformed uplink
## units through flight-sw run, and every test marked soak at its full size.
soak: $(STAMP)
	FLIGHT_FUZZ_UNITS=100000 $(PY) -m pytest tests/flight_sw/test_fuzz_link.py
	$(PY) -m pytest -m soak

## Rebuild the C kernels in place after editing csrc/ (the editable install picks them up).
kernels: $(STAMP)
	cd src && for builder in firmware_stubs/_build_*.py; do ../$(PY) $$builder || exit 1; done

## Load the mission dictionary's XTCE in YAMCS and decode housekeeping and event packets
## (downloads the fprime-yamcs-bundle jars, about 50 MB; needs a JDK 17+ with javac).
yamcs-check: $(STAMP)
	$(PY) -m pip install --quiet -e '.[yamcs]'
	$(PY) tools/yamcs_check/run.py

## Cross-build the C kernels for aarch64 and armhf (Raspberry Pi / Jetson), run them under
## qemu-user and compare every result with the host's (docs/bench.md, "ARM build check").
## Needs: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf
## libc6-dev-armhf-cross qemu-user. ARGS=--wheels also looks up the dependencies' ARM wheels.
arm-check: $(STAMP)
	$(PY) tools/arm_check/run.py $(ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info src/firmware_stubs/_kernel_* src/firmware_stubs/csrc/*.o
