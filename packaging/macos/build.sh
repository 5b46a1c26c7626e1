#!/usr/bin/env bash
# Build the macOS app of Eventflow Monitor into dist/:
#   dist/eventflow-monitor-VERSION-macos-ARCH.dmg   ("Eventflow Monitor.app" + an Applications link)
#
# NOT RUN HERE: the project's machines are Linux. This is the recipe the CI workflow
# (packaging/ci/installers.yml) runs on macOS runners (macos-13: x86_64, macos-14: arm64);
# it has not been tested. One build per architecture: PySide6's wheels are universal2, but
# numpy's are not, so a universal2 app would need merged wheels; two .dmg files are simpler.
#
# The app is ad-hoc signed (PyInstaller does that), so Gatekeeper asks before the first
# start (right-click > Open). For a release, set MACOS_SIGN_IDENTITY ("Developer ID
# Application: ...") and, to notarize, MACOS_NOTARY_PROFILE (a `xcrun notarytool
# store-credentials` profile); both are optional.
#
# Needs Python 3.11+ as python3 (e.g. actions/setup-python, or python.org's installer).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
VERSION=$("$PY" packaging/requirements.py --version)
ARCH=$(uname -m)
APP="build/bundle/Eventflow Monitor.app"
DMG="dist/eventflow-monitor-$VERSION-macos-$ARCH.dmg"

echo "== Eventflow Monitor $VERSION for macOS $ARCH"
rm -rf build/pkg-venv build/bundle build/pyinstaller build/dmg
mkdir -p build dist
"$PY" -m venv build/pkg-venv
"$PY" packaging/requirements.py >build/pkg-requirements.txt
build/pkg-venv/bin/python -m pip install --quiet --upgrade pip
build/pkg-venv/bin/python -m pip install --quiet -r build/pkg-requirements.txt

echo "== bundle (PyInstaller)"
build/pkg-venv/bin/pyinstaller --noconfirm --log-level WARN \
    --distpath build/bundle --workpath build/pyinstaller packaging/eventflow.spec

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    echo "== signing with $MACOS_SIGN_IDENTITY"
    codesign --force --deep --options runtime --timestamp --sign "$MACOS_SIGN_IDENTITY" "$APP"
fi

echo "== smoke test of the app"
EVENTFLOW="$APP/Contents/MacOS/eventflow"
QT_QPA_PLATFORM=offscreen "$EVENTFLOW" --smoke-test --db build/smoke-offscreen.db
"$EVENTFLOW" --smoke-test --db build/smoke-cocoa.db # the runner has a window server
OUT=$("$EVENTFLOW" demo --headless --duration 2 --db build/smoke-demo.db)
echo "$OUT"
echo "$OUT" | grep -Eq '^Demo ran 2 s at .* [1-9][0-9]* orders' || { echo "no orders" >&2; exit 1; }

echo "== .dmg"
mkdir -p build/dmg
cp -R "$APP" build/dmg/
ln -s /Applications build/dmg/Applications
rm -f "$DMG"
hdiutil create -volname "Eventflow Monitor" -srcfolder build/dmg -ov -format UDZO "$DMG"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    codesign --sign "$MACOS_SIGN_IDENTITY" --timestamp "$DMG"
fi
if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
    echo "== notarizing"
    xcrun notarytool submit "$DMG" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
fi
ls -l "$DMG"
