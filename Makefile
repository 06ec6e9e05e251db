# Lookout: one flat Makefile, no recursive make into subdirectories.
# Objects and binaries go to $(O) (default build/); `make asan` uses build/asan.
# docs/ARCHITECTURE.md explains the layout; README.md the two commands that matter.

O        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=

# Goals that install the Debian packages they need first, in layers (scripts/install-deps):
# `make run` only what building and running need; the test goals what the tests need too;
# `make bench` the peers it measures against. `NO_DEPS=1` skips the step (packagers). Plain
# `make` installs nothing: it says what to run if something is missing.
RUN_GOALS   := run
TEST_GOALS  := test asan clang unit integration browser fuzz firmware-check
BENCH_GOALS := bench
ifneq ($(NO_DEPS),1)
DEPS_LAYER := $(if $(filter $(TEST_GOALS),$(MAKECMDGOALS)),--test)
DEPS_LAYER := $(or $(DEPS_LAYER),$(if $(filter $(BENCH_GOALS),$(MAKECMDGOALS)),--bench))
ifneq ($(DEPS_LAYER)$(filter $(RUN_GOALS),$(MAKECMDGOALS)),)
$(info $(shell scripts/install-deps $(DEPS_LAYER) >&2))
ifneq ($(.SHELLSTATUS),0)
$(error scripts/install-deps $(DEPS_LAYER) failed; see the message above)
endif
endif
endif

PKGS      := libevent libevent_openssl libevent_pthreads openssl libturbojpeg libcrypt libsystemd \
             sqlite3 libmosquitto
# Compiled against, never linked: relay/guard/av_lib.c loads them when recording starts.
AV_PKGS   := libavformat libavcodec libavutil
# Without pkg-config or the libraries, say what to run instead of a compiler error.
NEEDS_LIBS := $(filter-out clean uninstall run-check,$(or $(MAKECMDGOALS),all))
ifneq ($(NEEDS_LIBS),)
ifeq ($(shell command -v pkg-config),)
$(error pkg-config is not installed: run scripts/install-deps (what building needs) or make run \
  (installs it, builds and starts the demo))
endif
ifneq ($(shell pkg-config --exists $(PKGS) $(AV_PKGS) && echo ok),ok)
$(info $(shell pkg-config --print-errors --exists $(PKGS) $(AV_PKGS) 2>&1 | head -n 2))
$(error libraries are missing (see above): run scripts/install-deps (what building needs), or \
  make run)
endif
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(AV_PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lwslay -lpthread
TEST_LIBS  = $(shell pkg-config --libs cmocka)

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
BASE     := -std=c11 -D_GNU_SOURCE -I$(O)/gen -MMD -MP

# Layers and the include paths each may use (docs/ARCHITECTURE.md): a header outside them does not
# resolve, so a forbidden dependency fails to build. Lower layers never see higher ones.
INC_core         := -Icore
INC_common       := -Icommon
INC_node         := $(INC_core) -Inode
INC_node_linux   := $(INC_common) $(INC_node) -Inode/linux
INC_relay_config := $(INC_common) $(INC_core) -Irelay/config
INC_relay_http   := $(INC_relay_config) -Irelay/http
INC_relay_access := $(INC_relay_http) -Irelay/access -Irelay
INC_relay_steer  := $(INC_relay_http) -Irelay/steer
INC_relay_camera := $(INC_relay_steer) -Irelay/camera
INC_relay_api    := $(INC_relay_access) -Irelay/steer -Irelay/camera -Irelay/api
INC_relay_guard  := $(INC_relay_access) -Irelay/steer -Irelay/camera -Irelay/guard
INC_relay_notify := $(INC_relay_guard) -Irelay/notify
INC_relay_ops    := $(INC_relay_notify) -Irelay/api -Irelay/ops
INC_relay        := $(INC_relay_ops)
INC_ALL          := $(INC_relay) -Inode -Inode/linux
# The layer of a source file: its directory, e.g. relay/camera/hub.c -> relay_camera.
layer_of = $(subst /,_,$(patsubst %/,%,$(dir $(1))))
inc_for  = $(or $(INC_$(call layer_of,$(1))),$(INC_ALL))
ifeq ($(SANITIZE),1)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ifeq ($(SANITIZE),fuzz)
SAN      := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
endif
ALL_CFLAGS  = $(BASE) $(WARN) $(SAN) $(PKG_CFLAGS) $(CFLAGS) $(CPPFLAGS)
# --as-needed: each binary loads only the libraries it calls (lookout-cam needs no SQLite).
ALL_LDFLAGS = $(SAN) -Wl,--as-needed $(LDFLAGS)

# Sources by layer. Each binary's main() lives in its own file so tests can link the rest.
CORE_SRC   := $(wildcard core/*.c)
COMMON_SRC := $(wildcard common/*.c)
NODE_SRC   := $(wildcard node/*.c) $(filter-out node/linux/main.c,$(wildcard node/linux/*.c))
RELAY_SRC  := $(filter-out relay/main.c,$(wildcard relay/*.c relay/*/*.c))
WEB_FILES  := $(sort $(wildcard web/*.html web/*.css web/*.js web/*.svg))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
CORE_OBJ   := $(call obj,$(CORE_SRC))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
NODE_OBJ   := $(call obj,$(NODE_SRC))
RELAY_OBJ  := $(call obj,$(RELAY_SRC)) $(O)/obj/gen/web_assets.o
LIB_OBJ    := $(CORE_OBJ) $(COMMON_OBJ) $(NODE_OBJ) $(RELAY_OBJ)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
INTEG_SRC  := $(wildcard tests/integration/test_*.c)
SUPPORT_SRC:= $(wildcard tests/support/*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
INTEG_BIN  := $(patsubst tests/integration/%.c,$(O)/tests/%,$(INTEG_SRC))
SUPPORT_OBJ:= $(call obj,$(SUPPORT_SRC))

BINS := $(O)/lookout $(O)/lookout-cam
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

.PHONY: all run run-check test unit integration browser asan clang clean install uninstall firmware-check fuzz fuzz-run bench
all: $(BINS)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(call inc_for,$<) $(ALL_CFLAGS) -c $< -o $@

$(O)/obj/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(INC_common) $(ALL_CFLAGS) -c $< -o $@

# The page is compiled into the relay: tools/embed turns web/* into a C table (no build-time downloads).
$(O)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 $(WARN) $< -o $@

$(O)/gen/web_assets.c: $(O)/tools/embed $(WEB_FILES)
	@mkdir -p $(dir $@)
	$(O)/tools/embed $@ $(WEB_FILES)

$(O)/lookout: $(O)/obj/relay/main.o $(RELAY_OBJ) $(CORE_OBJ) $(COMMON_OBJ)
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

$(O)/lookout-cam: $(O)/obj/node/linux/main.o $(NODE_OBJ) $(CORE_OBJ) $(COMMON_OBJ)
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -lm -o $@

$(O)/tests/%: $(O)/obj/tests/unit/%.o $(SUPPORT_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(TEST_LIBS) -lm -o $@

$(O)/tests/%: $(O)/obj/tests/integration/%.o $(SUPPORT_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(TEST_LIBS) -lm -o $@

# libFuzzer targets (clang), linked with everything but the two main()s.
$(O)/fuzz/%: $(O)/obj/tests/fuzz/%.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ $(PKG_LIBS) -lm -o $@

# Each fuzz target runs FUZZ_SECONDS from its seed corpus in tests/fuzz/corpus/<name>/.
fuzz:
	$(MAKE) O=build/fuzz CC=clang SANITIZE=fuzz NO_DEPS=1 fuzz-run

fuzz-run: $(FUZZ_BIN)
	scripts/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BIN)

unit: $(UNIT_BIN)
	scripts/run-tests $(UNIT_BIN)

integration: $(BINS) $(INTEG_BIN)
	LOOKOUT_BIN_DIR=$(O) scripts/run-tests $(INTEG_BIN)

# The page in Debian's headless Chromium (tests/browser/). npm ci installs the pinned
# playwright-core (it downloads no browser) on first use and when the lockfile changes.
BROWSER_NPM := tests/browser/node_modules/.installed
$(BROWSER_NPM): tests/browser/package-lock.json
	tests/browser/install
	touch $@

browser: $(BINS) $(BROWSER_NPM)
	LOOKOUT_BIN_DIR=$(O) node --test tests/browser/

# Every test: unit, then integration against the real binaries on loopback, then the browser.
test: $(BINS) $(UNIT_BIN) $(INTEG_BIN) $(BROWSER_NPM)
	LOOKOUT_BIN_DIR=$(O) scripts/run-tests $(UNIT_BIN) $(INTEG_BIN)
	LOOKOUT_BIN_DIR=$(O) node --test tests/browser/

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build tree.
asan:
	$(MAKE) O=build/asan SANITIZE=1 NO_DEPS=1 test

# The same suite built with clang (CI runs both compilers).
clang:
	$(MAKE) O=build/clang CC=clang NO_DEPS=1 test

# Demo: simulated camera + relay on loopback; prints the URL and login; Ctrl-C stops both.
# `make run TLS=1` serves it over HTTPS with a self-signed certificate; `make run
# LISTEN=0.0.0.0:5000` opens it to the LAN (to try it from a phone). Its settings live in
# $(O)/demo.env: a .env of your own is never read or changed by the demo.
run: $(BINS)
	LOOKOUT_TLS=$(TLS) LOOKOUT_LISTEN=$(LISTEN) scripts/run-demo $(O)

# The first hour on a fresh machine, checked: install the run layer only (counting what it
# adds), build, start the demo, fetch its page with the printed login, stop it.
run-check:
	scripts/run-check $(O)

# core/ must build for a 32-bit MCU with newlib: this is the firmware's portability proof.
ARM_CC    ?= arm-none-eabi-gcc
ARM_FLAGS := -std=c11 -Wall -Wextra -Werror -mcpu=cortex-m4 -mthumb -Os -ffreestanding \
             -specs=nano.specs -Icore -Inode
firmware-check:
	@mkdir -p $(O)/arm
	@set -e; for f in $(CORE_SRC) $(wildcard node/*.c); do \
	    echo "  ARM-CC $$f"; \
	    $(ARM_CC) $(ARM_FLAGS) -c $$f -o $(O)/arm/$$(basename $$f .c).o; \
	done
	@echo "firmware-check: core/ and node/ compile for arm-none-eabi with newlib"

# Load generator, then Lookout side by side with VLC and motion (docs/PERFORMANCE.md).
# The peers come from `scripts/install-deps --bench`; bench/run skips one that is missing.
BENCH_OBJ := $(call obj,$(wildcard bench/*.c))
$(O)/lookout-bench: $(BENCH_OBJ) $(CORE_OBJ)
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# The motion detector's cost per frame (bench/guard/motion_cost.c), for bench/run's guarding rows.
$(O)/bench-motion: $(O)/obj/bench/guard/motion_cost.o $(O)/obj/relay/guard/motion.o \
                  $(O)/obj/common/clock.o
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

bench: $(BINS) $(O)/lookout-bench $(O)/bench-motion
	bench/run $(O)

# make install [PREFIX=/usr/local] [DESTDIR=]: the binaries, lookout(8) and lookout-cam(1), the
# systemd units, the docs, the nginx sites and the example settings (docs/DEPLOY.md: what goes
# where). Nothing goes to /etc: settings are the administrator's. No dependency installation.
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/lookout
UNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install
# The units and the man page name /usr/local paths; point them at where things really go.
INSTALL_SED = sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/lookout|$(DOCDIR)|g' \
                  -e 's|/usr/share/doc/lookout|$(DOCDIR)|g'
DOC_FILES := README.md docs/API.md docs/CONFIG.md docs/DEPLOY.md docs/INTEGRATIONS.md docs/SECURITY.md
install: $(BINS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/nginx
	$(INSTALL) -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	$(INSTALL_SED) man/lookout.8 >$(DESTDIR)$(MANDIR)/man8/lookout.8
	$(INSTALL_SED) man/lookout-cam.1 >$(DESTDIR)$(MANDIR)/man1/lookout-cam.1
	$(INSTALL_SED) deploy/lookout.service >$(DESTDIR)$(UNITDIR)/lookout.service
	$(INSTALL_SED) deploy/lookout.socket >$(DESTDIR)$(UNITDIR)/lookout.socket
	chmod 644 $(DESTDIR)$(MANDIR)/man8/lookout.8 $(DESTDIR)$(MANDIR)/man1/lookout-cam.1 \
	    $(DESTDIR)$(UNITDIR)/lookout.service $(DESTDIR)$(UNITDIR)/lookout.socket
	$(INSTALL) -m 644 $(DOC_FILES) deploy/lookout.env.example $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 644 deploy/nginx/lookout.conf deploy/nginx/lookout-tls.conf $(DESTDIR)$(DOCDIR)/nginx/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lookout $(DESTDIR)$(BINDIR)/lookout-cam \
	    $(DESTDIR)$(MANDIR)/man8/lookout.8 $(DESTDIR)$(MANDIR)/man1/lookout-cam.1 \
	    $(DESTDIR)$(UNITDIR)/lookout.service $(DESTDIR)$(UNITDIR)/lookout.socket
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build

.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
