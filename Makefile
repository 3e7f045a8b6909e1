# The README's two commands, and a few more. Thin on purpose: CMake does the
# building, CTest runs the tests; this file only strings them together.
JOBS   ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)

.PHONY: all deps build run test bench fuzz clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset default -DRCM_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset default -j $(JOBS)

# Start the server with the embedded SQLite store and a demo tenant; state
# (database, development TLS certificate) lives in ./var.
run: build
	./build/openrcm serve --demo

# Every test suite, under AddressSanitizer + UndefinedBehaviorSanitizer.
test: deps
	@cmake --preset asan -DRCM_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

bench: build
	@bench/run-all

clean:
	rm -rf build build-asan build-fuzz
