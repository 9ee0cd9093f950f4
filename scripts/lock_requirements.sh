#!/usr/bin/env bash
# Regenerate requirements.lock: every package authgate needs to run, pinned to one version,
# with the SHA-256 of each of its files on PyPI (pip-compile --generate-hashes), resolved from
# pyproject.toml's [project] dependencies. docs/deployment.md installs from it with
# `pip install --require-hashes -r requirements.lock` and then `pip install --no-deps .`.
#
# Run from anywhere: scripts/lock_requirements.sh [PYTHON]   (default python3, >= 3.11)
# Needs PyPI. pip-tools is installed into a throwaway virtualenv, never into yours; pip's
# configuration files are ignored so that only PyPI's files and hashes are recorded.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python=${1:-python3}

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT || true

"$python" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check 'pip-tools>=7.4,<8'
"$tools/venv/bin/pip-compile" --quiet --generate-hashes --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
    --output-file requirements.lock pyproject.toml
echo "requirements.lock: $(grep -c '==' requirements.lock) packages pinned"
