# Thin wrapper over CMake. `make demo` and `make test` are the two commands that always work
# on a fresh Debian 12 machine; everything else is for developers.
JOBS ?= 2
RELEASE_DIR := build/release
DEBUG_DIR := build/debug
DB ?= data/rapport.db
LISTEN ?= 127.0.0.1:8080

.PHONY: all deps build debug web demo test unit bench format format-check clean

all: build

deps:
	@bash scripts/install-deps.sh

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

$(DEBUG_DIR)/build.ninja:
	cmake -S . -B $(DEBUG_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRAPPORT_SANITIZE=ON

build: deps $(RELEASE_DIR)/build.ninja web
	cmake --build $(RELEASE_DIR) -j $(JOBS)

debug: deps $(DEBUG_DIR)/build.ninja
	cmake --build $(DEBUG_DIR) -j $(JOBS)

web: deps
	@cd web && npm run --silent build

demo: build
	@bash scripts/demo.sh $(RELEASE_DIR)/rapport $(DB) $(LISTEN)

# Unit tests, black-box API tests, the crash test and the browser test, all under CTest so one
# runner prints one summary at the end.
test: debug web
	cd $(DEBUG_DIR) && ctest --output-on-failure -j $(JOBS)

unit: debug
	cd $(DEBUG_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	@bash bench/run.sh $(RELEASE_DIR)/rapport

format:
	@find src bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

format-check:
	@find src bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build web/dist
