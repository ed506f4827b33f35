#!/usr/bin/env bash
# Pre-release only (nothing has shipped yet): rebuild 0001_initial_schema.py from tables.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/pctui-regen.lock; flock 9
v=src/pctui/store/migrations/versions
rm -f "$v"/*.py
out=$(.venv/bin/python -m pctui.store.migrate "initial schema" 2>&1 | grep -o "versions/[0-9a-f]*_initial_schema.py")
mv "src/pctui/store/migrations/$out" "$v/0001_initial_schema.py"
sed -i -E "s/^revision = '[0-9a-f]+'/revision = '0001'/; s/^Revision ID: .*/Revision ID: 0001/" "$v/0001_initial_schema.py"
echo "regenerated $v/0001_initial_schema.py"
