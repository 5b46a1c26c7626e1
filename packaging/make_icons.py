"""Render resources/icons/eventflow.svg into the PNG, .ico and .icns files the installers use.

    packaging/make-icons        (runs this in the build venv, with Pillow added there)

The PNGs are drawn by Qt's own SVG renderer (PySide6 is a runtime dependency already);
Pillow packs them into the Windows .ico and the macOS .icns. The results are committed in
resources/icons/, so a build does not need to run this; run it after changing the SVG.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "eventflow.svg"
PNG_SIZES = (256, 128, 64, 48)  # the Linux desktop's hicolor sizes, and the window icon
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # Windows: Explorer, taskbar, Start menu
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # macOS: Finder, Dock (with @2x)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    for size in PNG_SIZES:
        target = ICONS / f"eventflow-{size}.png"
        target.write_bytes(png_bytes(render(renderer, size)))
        print(f"wrote {target}")

    try:
        from PIL import Image
    except ImportError:
        print("Pillow is not installed: skipped eventflow.ico and eventflow.icns", file=sys.stderr)
        return 0
    images = {
        size: Image.open(io.BytesIO(png_bytes(render(renderer, size)))).convert("RGBA")
        for size in sorted(set(ICO_SIZES) | set(ICNS_SIZES))
    }
    largest = images[max(ICO_SIZES)]
    largest.save(
        ICONS / "eventflow.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    print(f"wrote {ICONS / 'eventflow.ico'}")
    biggest = images[max(ICNS_SIZES)]
    biggest.save(
        ICONS / "eventflow.icns",
        format="ICNS",
        append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)],
    )
    print(f"wrote {ICONS / 'eventflow.icns'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
