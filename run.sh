#!/usr/bin/env bash
# The course's entry point. Each command first makes sure .venv holds the pinned environment
# (created on first use, reinstalled when requirements.txt or pyproject.toml change).
#
#   ./run.sh course    build release/ from source/ and autograde the bundled sample class
#   ./run.sh test      run the test suite (what CI runs)
#   ./run.sh bench     print the benchmark figures
#   ./run.sh colab     run every notebook as a student would on Colab's package versions
#                      (course/colab-constraints.txt, in build/colab-venv; part of ./run.sh test)
#   ./run.sh release   only rebuild release/
#   ./run.sh setup     only install (the environment, chromium and bubblewrap)
#   ./run.sh scheduler [ARGS]        start a Dask scheduler for grading on a cluster (README,
#                                    "Grading on a Dask cluster"); ARGS go to `dask scheduler`
#   ./run.sh worker ADDRESS [ARGS]   start Dask grading workers there, one process per core
#                                    (`--nworkers N` to change); ARGS go to `dask worker`
#   ./run.sh lab       start JupyterLab with nbgrader's formgrader on build/course, the real class
#                      (or, before one is graded, on build/sample-course, grading the sample class)
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY=$VENV/bin/python
UV_PIN=uv==0.9.30    # the installer (not part of the environment)
# Offline data for tests and CI: ../shared/data beside the repo (utils.data.use_offline_cache).
export COURSE_DATA="${COURSE_DATA:-$(cd .. && pwd)/shared/data}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"   # TensorFlow start-up chatter is not a warning

ensure_env() {
  local stamp=$VENV/.installed-$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
  [ -f "$stamp" ] || install_env "$stamp"
  # The grader (autograder/) is no package students get, but this environment imports it from this
  # repository wherever a command starts (a Dask scheduler unpickles the grader's tasks).
  local site; site=$(echo $VENV/lib/python3*/site-packages)
  [ "$(cat "$site/dl-course-grader.pth" 2>/dev/null)" = "$PWD" ] || echo "$PWD" > "$site/dl-course-grader.pth"
}

install_env() {
  local stamp=$1
  local python; python=$(command -v python3.11 || command -v python3)
  echo "Setting up $VENV with $($python --version) (once; about a minute) ..."
  [ -x "$PY" ] || "$python" -m venv "$VENV"
  # uv installs the same pinned versions as pip, downloading and unpacking in parallel: 12 s
  # against 65 s for these requirements here. It only installs; the environment is the same.
  # pip does the job instead where uv cannot be installed. --compile-bytecode: uv skips it by
  # default, pip does it; without .pyc files (and with PYTHONDONTWRITEBYTECODE, or in the read-only
  # sandbox) every kernel compiles TensorFlow again: its import took 11-18 s instead of 5-6 s here.
  # (the filter drops a harmless warning some pip.conf files cause; pip's exit code still counts)
  if "$PY" -m pip install -q "$UV_PIN" 2>&1 | { grep -v "^WARNING: Location" || true; }; then
    "$VENV/bin/uv" pip install -q --compile-bytecode --python "$PY" -r requirements.txt -e .
  else
    "$PY" -m pip install -q --upgrade pip -r requirements.txt -e . 2>&1 | { grep -v "^WARNING: Location" || true; }
  fi
  # Fail here, clearly, if the install did not work (TensorFlow's start-up lines only shown then).
  local check
  if ! check=$("$PY" -c "import utils, nbgrader, tensorflow, keras" 2>&1); then
    echo "$check" >&2
    echo "error: the packages in $VENV do not import; delete $VENV and run this again" >&2
    exit 1
  fi
  rm -f $VENV/.installed-*
  touch "$stamp"
}

# The formgrader test drives Debian's headless Chromium; bubblewrap sandboxes grading kernels.
# Installed with apt only when missing (a fresh CI machine); retried once after `apt-get update`.
ensure_system_packages() {   # [packages]: chromium and bubblewrap unless named
  local packages=("$@") missing=()
  [ $# -gt 0 ] || packages=(chromium bubblewrap)
  for p in "${packages[@]}"; do
    case $p in chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
               bubblewrap) command -v bwrap >/dev/null || missing+=(bubblewrap) ;; esac
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "Installing ${missing[*]} with apt-get (once) ..."
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || echo "warning: could not install ${missing[*]}; what needs them will fail" >&2
}

# Both at once: apt and the venv install do not depend on each other.
ensure_env_and_system_packages() {
  ensure_system_packages &
  local apt=$!
  ensure_env
  wait "$apt"
}

# JupyterLab for the instructor, in the nbgrader course folder: the formgrader (Nbgrader menu,
# or /formgrader) grades written answers by hand; the config there sets the exchange.
lab() {
  local repo=$PWD root=() dir=build/course
  if [ ! -f "$dir/gradebook.db" ]; then
    dir=build/sample-course
    [ -f "$dir/gradebook.db" ] || "$PY" -m autograder sample-class
  fi
  cp course/nbgrader_config.py "$dir/"  # the config's one home is course/; keep the copy current
  # nbgrader_config.py imports autograder.*, and grading kernels import autograder.hidden.
  export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
  [ "$(id -u)" = 0 ] && root=(--allow-root)  # containers run as root
  cd "$dir"
  exec "$repo/$VENV/bin/jupyter" lab "${root[@]}" "$@"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  course)  ensure_env_and_system_packages; exec "$PY" -m autograder sample-class "$@" ;;
  setup)   ensure_env_and_system_packages; echo "ready: $VENV ($("$PY" --version)), $(command -v bwrap || echo 'no bubblewrap')" ;;
  release) ensure_env; exec "$PY" -m autograder build "$@" ;;
  test)    ensure_env_and_system_packages; exec "$PY" -m pytest "$@" ;;
  bench)   ensure_env_and_system_packages; exec "$PY" -m autograder.bench "$@" ;;
  colab)   ensure_env; exec "$PY" -m autograder colab "$@" ;;
  # (the scheduler runs no notebook; workers run kernels in bubblewrap and read COURSE_DATA)
  scheduler) ensure_env; exec "$VENV/bin/dask" scheduler "$@" ;;
  worker)  ensure_env; ensure_system_packages bubblewrap   # (workers run kernels only: no browser)
           exec "$VENV/bin/dask" worker --nthreads 1 --nworkers "$(nproc)" "$@" ;;
  lab)     ensure_env; lab "$@" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
