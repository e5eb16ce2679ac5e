#!/usr/bin/env bash
# Print the path of a working Python X.Y interpreter (one that can create a
# virtualenv), or say what to install and exit 1.
#   tools/find_python.sh 3.13 [EXPLICIT_PATH]
# EXPLICIT_PATH, when given, is the only one tried; otherwise pythonX.Y on
# PATH, then pyenv's versions (newest X.Y.* first). pyenv shims that do not resolve are skipped.
set -uo pipefail
want=${1:?usage: find_python.sh X.Y [PATH]}
explicit=${2:-}

works() {
  "$1" -c "import sys, venv, ensurepip
sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" >/dev/null 2>&1
}
resolve() { "$1" -c 'import sys; print(sys.executable)'; }

if [ -n "$explicit" ]; then
  works "$explicit" && { resolve "$explicit"; exit 0; }
  echo "$explicit is not a working Python $want (with venv and ensurepip)" >&2
  exit 1
fi
candidates=()
while IFS= read -r found; do candidates+=("$found"); done < <(type -ap "python$want" 2>/dev/null)
pyenv_root=${PYENV_ROOT:-}
if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
  pyenv_root=$(pyenv root 2>/dev/null || true)
fi
[ -n "$pyenv_root" ] || pyenv_root="$HOME/.pyenv"
if [ -d "$pyenv_root/versions" ]; then
  while IFS= read -r found; do candidates+=("$found"); done < <(
    ls -d "$pyenv_root/versions/$want".*/bin/"python$want" 2>/dev/null | sort -rV)
fi

for candidate in "${candidates[@]}"; do
  if works "$candidate"; then
    resolve "$candidate"
    exit 0
  fi
done

{
  echo "Python $want not found: looked for python$want on PATH and under $pyenv_root/versions/$want.*"
  echo "Install it, for example with 'pyenv install $want' or your distribution's python$want"
  echo "and python$want-venv packages, or name it: make test PY${want//./}=/path/to/python$want"
} >&2
exit 1
