# git dds — build, test, demo, benchmarks.
# Tools the build needs are pinned here and installed into .tools/ (ignored).

GO            ?= go
TOOLS         := $(CURDIR)/.tools
STATICCHECK   := $(TOOLS)/bin/staticcheck
STATICCHECK_VERSION := v0.8.2
# The graph checks render Mermaid with this release of the mermaid npm package.
MERMAID_VERSION := 11.17.2
# The remote scripts of the end-to-end tests run against this MinIO server
# (a Go module version: MinIO tags no semver releases).
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
BIN           := $(CURDIR)/bin
# make cover writes its coverage profiles here (ignored).
COVER         := $(CURDIR)/.cover
# make install puts git-dds in $(DESTDIR)$(PREFIX)/bin, its manual pages in
# $(DESTDIR)$(PREFIX)/share/man/man1, where man and git help find them, and
# its completion where bash-completion and zsh look under $(PREFIX).
PREFIX        ?= /usr/local
DESTDIR       ?=
FUZZTIME      ?= 30s

.PHONY: all build install test vet staticcheck unit e2e cover tools-browser tools-minio tools-shell docs-graph docs-screenshots docs-reference fuzz demo bench clean

all: build

# The binary, its manual pages generated from its own command tree into
# $(BIN)/man (never committed), dated by the last commit so that one commit
# always gives the same pages, and its completion scripts.
build:
	$(GO) build -o $(BIN)/git-dds ./cmd/git-dds
	rm -rf $(BIN)/man $(BIN)/completion
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)} \
	  $(BIN)/git-dds __man $(BIN)/man/man1
	mkdir -p $(BIN)/completion
	$(BIN)/git-dds completion bash > $(BIN)/completion/git-dds
	$(BIN)/git-dds completion zsh > $(BIN)/completion/_git-dds

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN)/git-dds $(DESTDIR)$(PREFIX)/bin/git-dds
	install -m 0644 $(BIN)/man/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0644 $(BIN)/completion/git-dds $(DESTDIR)$(PREFIX)/share/bash-completion/completions/git-dds
	install -m 0644 $(BIN)/completion/_git-dds $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_git-dds

$(STATICCHECK):
	GOBIN=$(TOOLS)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags gcs,azure ./internal/remote/ # the bucket drivers a default build leaves out
	GOOS=darwin GOARCH=arm64 $(GO) vet ./... # macOS builds too (Windows does not yet: see README)

# Unit tests, fuzz seed corpora (go test runs them as regular tests) and the
# end-to-end scripts, which drive the real git and the built git-dds.
unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /e2e)

# go test's default 10-minute bound is too short for the whole suite on a
# loaded 2-core machine; CI's own bound is the job's.
e2e: tools-browser tools-minio tools-shell
	DDS_MINIO=$(TOOLS)/bin/minio $(GO) test -count=1 -timeout 30m ./e2e/...

# Statement coverage of each package by the unit tests alone and with the
# end-to-end tests, whose git-dds, a copy of the test binary, counts too.
# Slower than unit and e2e, and no part of make test. go tool cover
# -html=.cover/e2e.out shows what the end-to-end tests reach.
cover: tools-browser tools-minio tools-shell
	mkdir -p $(COVER)
	$(GO) test -count=1 -coverpkg=./internal/... -coverprofile=$(COVER)/unit.out $$($(GO) list ./... | grep -v /e2e)
	DDS_MINIO=$(TOOLS)/bin/minio $(GO) test -count=1 -coverpkg=./internal/... -coverprofile=$(COVER)/e2e.out ./e2e/...
	awk -v module=$$($(GO) list -m) -f e2e/cover.awk $(COVER)/unit.out $(COVER)/e2e.out

# graphviz, headless Chromium and mermaid, which the graph checks of the
# end-to-end tests render with; installed once, then a no-op.
tools-browser:
	TOOLS=$(TOOLS) MERMAID_VERSION=$(MERMAID_VERSION) bash e2e/tools-browser.sh

# man, bash-completion and zsh, which the help and completion checks of the
# end-to-end tests read git dds with; installed once, then a no-op.
tools-shell:
	bash e2e/tools-shell.sh

# The MinIO server the remote scripts run against (TestRemote/s3), each on
# its own port of 127.0.0.1; built once (a few minutes), then a no-op.
tools-minio:
	TOOLS=$(TOOLS) MINIO_VERSION=$(MINIO_VERSION) GO=$(GO) bash e2e/tools-minio.sh

# The README's picture: docs/graph.png, a headless Chromium screenshot of
# the HTML page git dds graph draws for the example of e2e/testdata/graph.txtar.
docs-graph: tools-browser
	DDS_GRAPH_EXAMPLE=$(CURDIR)/docs $(GO) test -count=1 ./e2e -run 'TestScript/^graph$$'

# The how-to's pictures: docs/howto/plots.png and docs/howto/compare.png,
# headless Chromium screenshots of the pages git dds plots diff and git dds
# compare write for the branches of e2e/testdata/plots.txtar.
docs-screenshots: tools-browser
	DDS_GRAPH_EXAMPLE=$(CURDIR)/docs $(GO) test -count=1 ./e2e -run 'TestScript/^plots$$'

# The command reference users read on the repository's pages:
# docs/reference, the manual pages in Markdown, from the same command tree.
# It is committed, and a unit test (docs/ TestReferenceIsGenerated)
# fails when it differs from what the binary gives: run this after changing
# a command's help or flags.
docs-reference: build
	rm -f docs/reference/git-dds*.md
	$(BIN)/git-dds __man --markdown docs/reference

test: vet staticcheck unit e2e

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

demo: build
	PATH="$(BIN):$$PATH" KEEP="$(KEEP)" bash demo/demo.sh

bench: build tools-minio
	bash bench/status.sh
	bash bench/ingest.sh
	bash bench/remote.sh

clean:
	rm -rf $(BIN) .bench $(COVER)
