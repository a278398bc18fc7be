# A thin layer over CMake. The two commands a new machine needs:
#   sudo make run    install what is missing, build, run nanoletd in the foreground on its defaults
#   sudo make test   install what is missing, build (plain and ASan/UBSan), run every test
#                    (NANOLET_SKIP_VM=1: without the cgroup v2 suites in the VM, integration-v2)
#   make fuzz FUZZ_SECONDS=N   fuzz each parser that faces untrusted bytes for N seconds
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
# make fuzz: seconds per harness; make test fuzzes each for FUZZ_CHECK_SECONDS after replaying
# every corpus (tests/fuzz/run.sh).
FUZZ_SECONDS       ?= 60
FUZZ_CHECK_SECONDS ?= 15

# What building and running nanoletd needs (make run), and what the tests add (make test).
RUN_PACKAGES = build-essential cmake pkg-config curl libmicrohttpd-dev libjansson-dev \
	libyaml-dev libsystemd-dev libnl-3-dev libnl-route-3-dev libsqlite3-dev libseccomp-dev \
	libnftables-dev libgnutls28-dev libnghttp2-dev libcurl4-gnutls-dev libarchive-dev
TEST_PACKAGES = $(RUN_PACKAGES) check clang-format clang libclang-rt-14-dev bats systemd jq \
	procps iproute2 util-linux man-db qemu-system-x86 busybox-static cpio xz-utils sqlite3 \
	python3-websocket python3-kubernetes docker-registry podman nftables

# promtool checks /metrics; it comes out of Debian's prometheus package without installing it
# (that would start a Prometheus server on the machine).
PROMTOOL = $(BUILD)/tools/promtool

.PHONY: all deps run-deps build asan run install uninstall test unit integration integration-v2 format format-check clean \
	fuzz-build fuzz fuzz-check fuzz-merge

all: build

deps: PACKAGES = $(TEST_PACKAGES)
run-deps: PACKAGES = $(RUN_PACKAGES)
deps run-deps:
	@missing=$$(for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

build:
	cmake -S . -B $(BUILD) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNANOLET_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

run: run-deps build
	./$(BUILD)/nanoletd

# The binaries to /usr/local/bin, the units to /etc/systemd/system, the example config to
# /etc/nanolet, the man pages to /usr/local/share/man (DESTDIR=DIR installs below DIR).
# uninstall removes what the last install from $(BUILD) put in place.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

uninstall:
	@test -f $(BUILD)/install_manifest.txt || { \
		echo "uninstall: no $(BUILD)/install_manifest.txt: nothing was installed from $(BUILD)" >&2; \
		exit 1; }
	sed 's|^|$(DESTDIR)|' $(BUILD)/install_manifest.txt | xargs -d '\n' rm -vf

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with Debian's clang and
# -fsanitize=fuzzer,address,undefined; nothing else is built there.
fuzz-build:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DNANOLET_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# What make test runs: every corpus file once, then each harness briefly.
fuzz-check: fuzz-build
	tests/fuzz/run.sh --replay $(FUZZ_BUILD)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_CHECK_SECONDS)

# Keeps what a make fuzz found that covers more, in the checked-in corpora.
fuzz-merge: fuzz-build
	tests/fuzz/run.sh --merge $(FUZZ_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

unit: build asan
	cd $(BUILD) && ctest --output-on-failure --no-tests=error
	cd $(ASAN_BUILD) && ctest --output-on-failure --no-tests=error

$(PROMTOOL):
	rm -rf $(BUILD)/tools/prometheus && mkdir -p $(BUILD)/tools/prometheus
	cd $(BUILD)/tools/prometheus && { apt-get download prometheus || \
		{ apt-get update && apt-get download prometheus; }; }
	dpkg-deb -x $(BUILD)/tools/prometheus/prometheus_*.deb $(BUILD)/tools/prometheus/root
	cp $(BUILD)/tools/prometheus/root/usr/bin/promtool $@
	rm -rf $(BUILD)/tools/prometheus

integration: build asan $(PROMTOOL)
	PROMTOOL=$(CURDIR)/$(PROMTOOL) NANOLET_BUILD=$(CURDIR)/$(BUILD) bats --print-output-on-failure tests/integration
	PROMTOOL=$(CURDIR)/$(PROMTOOL) NANOLET_BUILD=$(CURDIR)/$(ASAN_BUILD) bats --print-output-on-failure tests/integration

# The tests whose outcome depends on the cgroup driver again on a pure cgroup v2 kernel: a qemu
# VM (tests/vm/run-v2.sh), the plain build (the v2 driver runs under ASan in the unit suites,
# against a fake cgroupfs). NANOLET_SKIP_VM=1 skips it, and says so.
integration-v2: build $(PROMTOOL)
	@if [ "$(NANOLET_SKIP_VM)" = 1 ]; then \
		echo "integration-v2: skipped (NANOLET_SKIP_VM=1): the cgroup suites did not run on cgroup v2"; \
	else \
		NANOLET_VM_BUILDS="$(BUILD)" tests/vm/run-v2.sh; \
	fi

test: deps format-check unit fuzz-check integration integration-v2

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
