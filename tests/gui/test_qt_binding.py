"""The installed Qt binding keeps Python's reference counts: PySide6 6.12 on Python < 3.12 lost a
reference to ``None`` on every Qt call that returns nothing, and the app died within minutes of
painting tiles (``Fatal Python error: none_dealloc``)."""

from __future__ import annotations

import subprocess
import sys

PAINT_LOOP = """
import sys
from PySide6.QtGui import QImage, QPainter
image = QImage(8, 8, QImage.Format_RGB32)
painter = QPainter(image)
before = sys.getrefcount(None)
for _ in range(20000):
    painter.save()
    painter.restore()
after = sys.getrefcount(None)
painter.end()
print(after - before)
"""


def test_painting_does_not_leak_references_to_none():
    result = subprocess.run([sys.executable, "-c", PAINT_LOOP], capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-500:]
    assert abs(int(result.stdout.strip().splitlines()[-1])) < 100
