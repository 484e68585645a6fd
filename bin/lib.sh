# Shared by bin/run and bin/test (sourced, not run): find Python, make .venv, install.
# Expects to be sourced from the repository root with `set -euo pipefail` in effect.

KENSA_PYTHON_MIN="3.12"

_python_is_recent_enough() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

# Prints the path of a Python >= 3.12: pyenv's (per .python-version), else python3.12, else python3.
find_python() {
    local wanted="$KENSA_PYTHON_MIN" candidate
    if [ -f .python-version ]; then
        wanted="$(tr -d '[:space:]' < .python-version)"
    fi
    if command -v pyenv >/dev/null 2>&1; then
        candidate="$(PYENV_VERSION="$wanted" pyenv which python 2>/dev/null || true)"
        if [ -n "$candidate" ] && _python_is_recent_enough "$candidate"; then
            echo "$candidate"
            return 0
        fi
    fi
    for candidate in "python$wanted" python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && _python_is_recent_enough "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "Kensa needs Python $KENSA_PYTHON_MIN or newer; install it (or pyenv install $wanted) and retry." >&2
    return 1
}

ensure_venv() {
    if [ ! -x .venv/bin/python ]; then
        local python
        python="$(find_python)"
        echo "Creating .venv with $("$python" --version 2>&1) ($python)"
        "$python" -m venv .venv
    fi
}

# pip install -r <name>.txt, every version pinned by <name>.lock (transitive ones too),
# unless no requirement or lock file changed since the last install.
install_requirements() {
    local file="$1" lock="${1%.txt}.lock" stamp=".venv/.kensa-${1//\//_}.sha256" digest
    digest="$(.venv/bin/python - <<'PY'
import hashlib, pathlib, sys

digest = hashlib.sha256(sys.version.encode())
root = pathlib.Path(".")
for path in sorted([*root.glob("requirements*.txt"), *root.glob("requirements*.lock")]):
    digest.update(path.name.encode() + b"\0" + path.read_bytes())
print(digest.hexdigest())
PY
)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return 0
    fi
    echo "Installing $file (versions from $lock) into .venv"
    .venv/bin/python -m pip install --disable-pip-version-check -q -r "$file" -c "$lock"
    echo "$digest" > "$stamp"
}

# Prints NAME from the environment, else from .env (parsed by django-environ, as
# kensa/settings.py reads it, and only when KENSA_READ_ENV_FILE allows), else DEFAULT.
# Needs .venv with the requirements installed.
env_setting() {
    .venv/bin/python - "$1" "$2" <<'PY'
import os
import sys

import environ

name, default = sys.argv[1], sys.argv[2]
env = environ.Env()
if env.bool("KENSA_READ_ENV_FILE", default=True) and os.path.exists(".env"):
    env.read_env(".env")  # never overwrites a variable already in the environment
print(os.environ.get(name) or default)
PY
}
