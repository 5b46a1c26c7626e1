# Shared by packaging/build, packaging/smoke-test, packaging/measure-startup and
# packaging/make-icons. Source it; it does not run anything by itself.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
BUILD_VENV="$ROOT/build/pkg-venv"
# shellcheck disable=SC2034  # used by the scripts that source this file
PACKAGE=eventflow-monitor

say() { printf '\n== %s  [%d s]\n' "$*" "$SECONDS"; }
die() { printf 'packaging: %s\n' "$*" >&2; exit 1; }

# The version, from pyproject.toml (the one place it is written).
project_version() { "$PY" "$ROOT/packaging/requirements.py" --version; }

# apt_ensure PKG...: install the Debian packages that are missing (apt-get update first).
apt_ensure() {
    local missing=() pkg sudo=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# The build venv: the runtime dependencies of pyproject.toml plus the `package` extra
# (PyInstaller), nothing else: no test tools, no project install (the spec takes the code
# from this source tree). Recreated whenever pyproject.toml changes.
ensure_build_venv() {
    local stamp="$BUILD_VENV/.installed" reqs="$ROOT/build/pkg-requirements.txt"
    if [ -f "$stamp" ] && [ ! "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        return 0
    fi
    rm -rf "$BUILD_VENV"
    mkdir -p "$ROOT/build"
    "$PY" -m venv "$BUILD_VENV"
    "$PY" "$ROOT/packaging/requirements.py" >"$reqs"
    build_pip install --upgrade pip
    build_pip install -r "$reqs"
    touch "$stamp"
}

# pip in the build venv, quiet (without the notes this machine's pip config prints).
build_pip() {
    "$BUILD_VENV/bin/python" -m pip --quiet --disable-pip-version-check "$@" \
        2> >(grep -v "^WARNING: Location 'file:" >&2 || true)
}
