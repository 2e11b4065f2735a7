# Easel — make run (build in release mode and start the studio), make test (everything CI runs).
SWIFT      ?= swift
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN_DEPS   := libncurses-dev libcurl4-openssl-dev libsixel-dev libchafa-dev libglib2.0-dev libpng-dev \
              libturbojpeg0-dev libwebp-dev libsqlite3-dev zlib1g-dev pkg-config
TEST_DEPS  := $(RUN_DEPS) tmux xterm xvfb xdotool imagemagick x11-apps x11-utils xfonts-base libsixel-bin sqlite3 postgresql
ARGS       ?=
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: run build release test deps test-deps bench bench-deps install clean

# Install only the Debian packages that are missing (apt-get update once, when needed).
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(RUN_DEPS))

test-deps:
	$(call apt_install,$(TEST_DEPS))

release: deps
	$(SWIFT) build -c release --product easel

run: release
	./.build/release/easel $(ARGS)

build: deps
	$(SWIFT) build

# Four tiers over one build, each printing Swift Testing's closing summary and its wall time, then the
# whole test phase's; every tier runs even when one fails. Each tier runs its tests in parallel in one
# process, one tier after another. The unit tier (reducer, views, imaging, terminal, server: no sockets)
# comes first. Two loopback tiers follow (real libcurl against fake services and reference servers on
# 127.0.0.1); they wait on events or on clocks the tests move, and bound wall time only loosely, so
# starved threads on two cores cost time, not failures. The end-to-end tier (tmux, xterm under Xvfb,
# the real binary; a private tmux socket, X display and state folder per test) runs last.
#
# Why the loopback tests are two processes: every running FlyingFox server (each fake service, each
# reference server) parks one libdispatch thread in epoll_wait, and libdispatch runs at most 255 such
# threads in a process. All loopback suites in one process peaked at 257 threads in epoll_wait; past
# the cap a new server never answers and the suite hangs (what the easel serve suites tipped over in
# the session of 2026-12-03). Split this way the peaks measured 99 (adapters) and 160 (loopback).
UNIT_TIER      := --filter 'EaselCoreTests|EaselUITests|EaselImagingTests|EaselTerminalTests|EaselServerTests'
# One suite per adapter, against its fake.
ADAPTER_SUITES := EaselBackendsTests\.(A1111Tests|ComfyUI[A-Za-z]*Tests|OpenAIImagesTests|ReplicateTests|SeedJobAPITests|SDCppTests|Fal[A-Za-z]*Tests)/
ADAPTER_TIER   := --filter '$(ADAPTER_SUITES)'
# The rest: the contract every adapter keeps; the queue, pools, faults, journal and gallery through the
# real runner; easel serve; PostgreSQL.
LOOPBACK_TIER  := --filter 'EaselBackendsTests|EaselServerPostgresTests' --skip '$(ADAPTER_SUITES)'
E2E_TIER       := --filter EndToEndTests

.PHONY: test-unit test-adapters test-loopback test-e2e
test: test-deps
	$(SWIFT) build --build-tests
	@start=$$(date +%s); rc=0; \
	$(MAKE) --no-print-directory test-unit || rc=1; \
	$(MAKE) --no-print-directory test-adapters || rc=1; \
	$(MAKE) --no-print-directory test-loopback || rc=1; \
	$(MAKE) --no-print-directory test-e2e || rc=1; \
	echo "test phase (four tiers): $$(( $$(date +%s) - start )) s wall"; exit $$rc

# One tier on an existing build (make test builds first).
test-unit:
	@start=$$(date +%s); rc=0; $(SWIFT) test --skip-build $(UNIT_TIER) || rc=$$?; \
	echo "unit tier: $$(( $$(date +%s) - start )) s wall"; exit $$rc

test-adapters:
	@start=$$(date +%s); rc=0; $(SWIFT) test --skip-build $(ADAPTER_TIER) || rc=$$?; \
	echo "adapter tier: $$(( $$(date +%s) - start )) s wall"; exit $$rc

test-loopback:
	@start=$$(date +%s); rc=0; $(SWIFT) test --skip-build $(LOOPBACK_TIER) || rc=$$?; \
	echo "loopback tier: $$(( $$(date +%s) - start )) s wall"; exit $$rc

test-e2e:
	@start=$$(date +%s); rc=0; $(SWIFT) test --skip-build $(E2E_TIER) || rc=$$?; \
	echo "end-to-end tier: $$(( $$(date +%s) - start )) s wall"; exit $$rc

BENCH_DEPS := $(RUN_DEPS) libsixel-bin chafa tmux

bench-deps:
	$(call apt_install,$(BENCH_DEPS))

# Release builds of the harness and of the studio it drives in tmux, then every figure, written to BENCHMARKS.md.
bench: bench-deps
	$(SWIFT) build -c release --product easel
	$(SWIFT) build -c release --product easel-bench
	./.build/release/easel-bench --write BENCHMARKS.md

# The binary, the bundled themes (found by easel at PREFIX/share/easel/themes), shell completions
# and a man page generated from the command-line definitions.
install: release
	$(SWIFT) package plugin generate-manual
	install -Dm755 .build/release/easel $(DESTDIR)$(PREFIX)/bin/easel
	install -d $(DESTDIR)$(PREFIX)/share/easel/themes
	install -m644 themes/*.toml $(DESTDIR)$(PREFIX)/share/easel/themes/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	./.build/release/easel --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/easel
	./.build/release/easel --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_easel
	./.build/release/easel --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/easel.fish
	install -Dm644 .build/plugins/GenerateManual/outputs/easel/easel.1 $(DESTDIR)$(PREFIX)/share/man/man1/easel.1

clean:
	rm -rf .build
