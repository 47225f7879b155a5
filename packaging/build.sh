#!/usr/bin/env bash
# Build the one-folder desktop app from this checkout into dist/matting-studio/ (PyInstaller's work files go to
# build/pyinstaller/; both are git-ignored), then run the smoke test on it.
#   packaging/build.sh            build + smoke test
#   PYTHON=/path/python packaging/build.sh   use another interpreter (it needs the project's dependencies and
#                                            PyInstaller: pip install ".[package]")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
cd "$ROOT"
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is not installed for $PYTHON; run: $PYTHON -m pip install '.[package]'" >&2
    exit 2
fi
# the checkout's own package, not whatever matting_studio the interpreter has installed
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
nice -n 10 "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" "$ROOT/packaging/matting_studio.spec"
echo "build.sh: built $ROOT/dist/matting-studio ($(du -sh "$ROOT/dist/matting-studio" | cut -f1))"
"$PYTHON" "$ROOT/packaging/smoke_test.py" "$ROOT/dist/matting-studio/matting-studio"
