#!/usr/bin/env bash
# Prepare the offline pip bootstrap that `ansible-test --venv` needs, for the
# ansible-test installed in the given virtualenv.
set -euo pipefail
venv=${1:?usage: setup_ansible_test.sh VENV}
here=$(cd "$(dirname "$0")" && pwd)
req=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
version=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$req" | head -n1)
[ -n "$version" ] || { echo "cannot find the pip version pinned by ansible-test" >&2; exit 1; }
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
if [ ! -f "$cache/pip-$version-py3-none-any.whl" ]; then
  "$venv/bin/pip" download -q --no-deps -d "$cache" "pip==$version"
fi
cp "$here/get_pip_standin.py" "$cache/get_pip_${version//./_}.py"
echo "ansible-test pip bootstrap ready: pip $version"
