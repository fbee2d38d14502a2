# Thin wrapper around Meson; see README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PYTHON     ?= /usr/bin/python3

.PHONY: all deps check unit system demo demo-stop bench fuzz clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

deps:
	scripts/install-deps.sh

check: deps
	BUILD=$(BUILD) ASAN_BUILD=$(ASAN_BUILD) PYTHON=$(PYTHON) scripts/check.sh

unit: deps
	BUILD=$(BUILD) ASAN_BUILD=$(ASAN_BUILD) PYTHON=$(PYTHON) scripts/check.sh unit

system: deps
	BUILD=$(BUILD) ASAN_BUILD=$(ASAN_BUILD) PYTHON=$(PYTHON) scripts/check.sh system

demo: deps all
	BUILD=$(BUILD) scripts/demo.sh start

demo-stop:
	BUILD=$(BUILD) scripts/demo.sh stop

bench: deps all
	bench/run

# Needs clang (not installed by deps): scripts/fuzz.sh [SECONDS [TARGET...]]
fuzz:
	scripts/fuzz.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
