# The two commands in the README: `make run` and `make test`.
.PHONY: deps test-deps run test fmt build

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

fmt:
	cargo fmt

build:
	cargo build
