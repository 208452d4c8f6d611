#!/usr/bin/env bash
# Prints the path of a working Python 3.10 (Rasa 3.6 needs exactly 3.10), or explains what to install.
set -u
candidates=(python3.10)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for dir in "$root"/versions/3.10.*; do [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3"); done
fi
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME/.pyenv/versions/3.10.13/bin/python3")
for candidate in "${candidates[@]}"; do
  # A pyenv shim can exist on PATH and still refuse to run, so ask it for its version.
  if version=$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) && [ "$version" = "3.10" ]; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
cat >&2 <<'MSG'
No Python 3.10 found. Rasa Open Source 3.6.21 runs on Python 3.10 only (not 3.11 or newer).
Install one of:
  - pyenv:   pyenv install 3.10.13
  - Debian/Ubuntu (deadsnakes or backports): apt-get install python3.10 python3.10-venv
Then run the make command again.
MSG
exit 1
