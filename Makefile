# berth — build, test, demo and bench. Every target installs what it needs on Debian.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X berth/internal/version.Version=$(VERSION)
# The runtime re-executes itself as every container's init: static, lean, with seccomp.
RUNTIME_TAGS := seccomp netgo osusergo
DEB_PKGS := busybox-static libseccomp-dev gcc make iproute2 iptables nftables
BENCH_PKGS := runc hyperfine util-linux jq

.PHONY: all build deps bench-deps test unit fuzz-short fuzz e2e demo bench clean fmt vet

all: build

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go 1.26 to /usr/local/go"; exit 1; }

bench-deps: deps
	@missing=""; for p in $(BENCH_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

build: deps
	CGO_ENABLED=1 $(GO) build -trimpath -tags "$(RUNTIME_TAGS)" -ldflags '$(LDFLAGS) -extldflags "-static"' -o bin/berth-runtime ./cmd/berth-runtime
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/berth-daemon ./cmd/berth-daemon
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/berth-init ./cmd/berth-init
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/berth-compose ./cmd/berth-compose
	mkdir -p cmd/berth/embedded && cp bin/berth-runtime bin/berth-daemon bin/berth-init bin/berth-compose cmd/berth/embedded/
	cat bin/berth-runtime bin/berth-daemon bin/berth-init bin/berth-compose | sha256sum | cut -c1-16 > cmd/berth/embedded/digest
	CGO_ENABLED=0 $(GO) build -trimpath -tags embed_helpers -ldflags '$(LDFLAGS)' -o bin/berth ./cmd/berth

unit: deps
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Every parser of untrusted input has a fuzz target (package:target). `make test` runs each
# for a count of inputs: a run bounded by time fails ("context deadline exceeded") when its
# time ends before the cached corpus is replayed. `make fuzz` runs each for FUZZTIME, with
# minimizing capped so that a run ends when its time does.
FUZZ_TARGETS := untar:FuzzExtract engine/image:FuzzLoad compose:FuzzLoad \
	api:FuzzContainerCreateBody api:FuzzVersionPrefix engine:FuzzValidateCreate \
	engine/image:FuzzApplyChange volumes:FuzzCreateName netstack/dns:FuzzReverseAddr \
	cmd/berth:FuzzParsePublish
FUZZTIME ?= 2m

fuzz-short: deps
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3000x

fuzz: deps
	@log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./$$pkg >$$log 2>&1 \
			|| { cat $$log; exit 1; }; \
		grep 'elapsed' $$log | tail -1; \
	done

e2e: build
	BERTH_BIN=$(CURDIR)/bin/berth $(GO) test -count=1 -timeout 30m -p 1 ./e2e/ -v 2>&1 | grep -v -E '^=== (RUN|PAUSE|CONT)' ; exit $${PIPESTATUS[0]}

test: unit fuzz-short e2e

demo: build
	@./examples/demo.sh $(CURDIR)/bin/berth

bench: build bench-deps
	@./bench/run.sh $(CURDIR)/bin/berth
	@./bench/network.sh $(CURDIR)/bin/berth
	@./bench/stacks.sh $(CURDIR)/bin/berth

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
