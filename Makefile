# The two commands of the README:  `make demo` (whole pipeline, embedded services)  and  `make test`.
.PHONY: install services demo test bench ui down
install:
	./scripts/install.sh

services: install
	.venv/bin/glyph services up

demo: services
	.venv/bin/glyph demo

test: services
	./scripts/test.sh

bench: services
	.venv/bin/glyph bench

ui: services
	.venv/bin/glyph ui

down:
	.venv/bin/glyph services down
