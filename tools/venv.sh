#!/usr/bin/env bash
# Create (or refresh) a virtualenv from a pinned requirements file.
#   tools/venv.sh VENV X.Y REQUIREMENTS [PYTHON]
set -euo pipefail
venv=${1:?usage: venv.sh VENV X.Y REQUIREMENTS [PYTHON]}
want=${2:?usage: venv.sh VENV X.Y REQUIREMENTS [PYTHON]}
req=${3:?usage: venv.sh VENV X.Y REQUIREMENTS [PYTHON]}
here=$(cd "$(dirname "$0")" && pwd)
python=$(bash "$here/find_python.sh" "$want" "${4:-}")
echo "virtualenv $venv: Python $want from $python"
rm -f "$venv/.installed"
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
touch "$venv/.installed"
