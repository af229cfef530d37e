# The two commands of the README:  `make demo` (whole pipeline, embedded services)  and  `make test`.
# `make test-fast`: the pure tier alone (transforms, decisions, layering, types), no services, under a minute.
.PHONY: install services demo test test-fast bench ui down
install:
	./scripts/install.sh

services: install
	.venv/bin/glyph services up

demo: services
	.venv/bin/glyph demo

test: services
	./scripts/test.sh

test-fast: install
	.venv/bin/pytest tests/core

bench: services
	.venv/bin/glyph bench

ui: services
	.venv/bin/glyph ui

down:
	.venv/bin/glyph services down
