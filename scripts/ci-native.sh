#!/usr/bin/env bash
# Optional CI step: the TensorFlow runtime's tests, when a TensorFlow wheel can be installed.
#
# Tries `python3 -m venv` + `pip install tensorflow-cpu==2.21.0` (through whatever index or
# mirror pip is configured with), bounded in time so an unreachable index cannot hang CI. When
# that fails for any reason it prints one line, `test:native: skipped: <why>`, and exits 0: CI
# passes with no TensorFlow. When the wheel installs, it builds the addon into a temporary
# TFS_NATIVE_DIR, runs `npm run test:native` against it, then runs the compiled test suite
# again with the addon present (tests that skip without it run then); any failure fails CI.
#
#   bash scripts/ci-native.sh
#
# Environment: TFS_CI_TF_WHEEL (default tensorflow-cpu==2.21.0), TFS_CI_PYTHON (default
# python3), TFS_CI_PIP_TIMEOUT_S (outer bound on venv + pip, default 900),
# TFS_CI_NATIVE_TESTS (substrings for scripts/run-tests.mjs; default: the whole suite).
set -uo pipefail
cd "$(dirname "$0")/.."

wheel="${TFS_CI_TF_WHEEL:-tensorflow-cpu==2.21.0}"
python="${TFS_CI_PYTHON:-python3}"
bound="${TFS_CI_PIP_TIMEOUT_S:-900}"

skip() {
  echo "test:native: skipped: $*"
  exit 0
}

work="$(mktemp -d "${TMPDIR:-/tmp}/tfs-ci-native.XXXXXX")" || skip "cannot create a temporary folder"
trap 'rm -rf "$work"' EXIT

command -v "$python" >/dev/null 2>&1 || skip "no $python on this machine"
command -v "${CXX:-g++}" >/dev/null 2>&1 || skip "no C++ compiler (${CXX:-g++}) to build the addon"
command -v timeout >/dev/null 2>&1 || skip "no timeout(1) to bound pip with"

# The last non-empty line of a log, for the skip message.
last_line() { grep -v '^[[:space:]]*$' "$1" | tail -n 1 | cut -c 1-300; }

if ! timeout 120 "$python" -m venv "$work/venv" >"$work/venv.log" 2>&1; then
  skip "$python -m venv failed: $(last_line "$work/venv.log")"
fi
echo "test:native: installing $wheel (at most ${bound} s)"
t0=$SECONDS
timeout "$bound" "$work/venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
  --only-binary=:all: --timeout 20 --retries 2 "$wheel" >"$work/pip.log" 2>&1
rc=$?
if [ "$rc" -eq 124 ]; then
  skip "pip install $wheel took over ${bound} s"
elif [ "$rc" -ne 0 ]; then
  skip "pip install $wheel failed (exit $rc): $(last_line "$work/pip.log")"
fi
echo "test:native: $wheel installed in $((SECONDS - t0)) s"

# From here on TensorFlow is installed, so every failure is a real one.
export TFS_NATIVE_DIR="$work/native"
npm run test:native -- --python "$work/venv/bin/python" --require
read -r -a filters <<<"${TFS_CI_NATIVE_TESTS:-}"
echo "test:native: the test suite with the addon in $TFS_NATIVE_DIR"
node scripts/run-tests.mjs "${filters[@]}"
