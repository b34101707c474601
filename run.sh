#!/usr/bin/env bash
# The course's entry point. Each command first makes sure .venv holds the pinned environment
# (created on first use, reinstalled when requirements.txt or pyproject.toml change).
#
#   ./run.sh course    build release/ from source/ and autograde the bundled sample class
#   ./run.sh test      run the test suite (what CI runs)
#   ./run.sh bench     print the benchmark figures
#   ./run.sh release   only rebuild release/
#   ./run.sh lab       start JupyterLab in this environment
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=$VENV/bin/python
# Offline data for tests and CI: ../shared/data beside the repo (utils.data.use_offline_cache).
export COURSE_DATA="${COURSE_DATA:-$(cd .. && pwd)/shared/data}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"   # TensorFlow start-up chatter is not a warning

ensure_env() {
  local stamp=$VENV/.installed-$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && return 0
  local python; python=$(command -v python3.11 || command -v python3)
  echo "Setting up $VENV with $($python --version) (once; about a minute) ..."
  [ -x "$PY" ] || "$python" -m venv "$VENV"
  # (the filter drops a harmless warning some pip.conf files cause; pip's exit code still counts)
  "$PY" -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
  "$PY" -m pip install -q -r requirements.txt -e . 2>&1 | { grep -v "^WARNING: Location" || true; }
  "$PY" -c "import utils, nbgrader, tensorflow, keras" # fail here, clearly, if the install did not work
  rm -f $VENV/.installed-*
  touch "$stamp"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  course)  ensure_env; exec "$PY" -m autograder sample-class "$@" ;;
  release) ensure_env; exec "$PY" -m autograder build "$@" ;;
  test)    ensure_env; exec "$PY" -m pytest "$@" ;;
  bench)   ensure_env; exec "$PY" -m autograder.bench "$@" ;;
  lab)     ensure_env; exec "$VENV/bin/jupyter" lab "$@" ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
