# The two commands in the README: `make run` and `make test`.
.PHONY: deps test-deps run test fuzz lighthouse fmt build

deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-deps.sh --with-browser

# Build, start the embedded PostgreSQL cluster under data/, seed demo accounts, print the URL.
run: deps
	cargo run --release -- serve --demo

# Everything CI checks: formatting, lints, and every test (real PostgreSQL and SMTP).
test: test-deps
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	# A hang fails the run here, well inside CI's 90 minutes, instead of using them up.
	timeout --kill-after=30 1500 cargo test
	# schemathesis on the OpenAPI document against a demo server, as a member and as an admin.
	timeout --kill-after=30 600 bash scripts/fuzz.sh --quick

# A longer schemathesis pass (about 20 minutes); reports under tests/artifacts/fuzz/.
fuzz: test-deps
	cargo build
	bash scripts/fuzz.sh

# Lighthouse on the demo's home, a board and a topic, emulating a phone (a measurement, not a gate).
lighthouse: test-deps
	bash scripts/lighthouse.sh

fmt:
	cargo fmt

build:
	cargo build
