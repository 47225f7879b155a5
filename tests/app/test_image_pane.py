"""The image canvas: a navigator while zoomed in, which also moves the view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from matting_studio.app.image_pane import ImagePane
from matting_studio.app.qt_images import to_qimage
from matting_studio.app.view_state import ViewState


def _shown_canvas(qtbot, width: int, height: int):
    """A shown input pane of ``width`` × ``height``: its canvas and the view it shares."""
    view = ViewState()
    pane = ImagePane("input", "Input", view)
    qtbot.addWidget(pane)
    pane.resize(width, height)
    pane.show()
    return pane.canvas, view


def test_the_navigator_appears_when_zoomed_in_and_a_click_there_moves_the_view(qtbot):
    canvas, view = _shown_canvas(qtbot, 400, 300)
    image = np.zeros((200, 400, 3), np.float32)
    image[:, 200:] = 1.0
    canvas.qimage = to_qimage(image)
    assert canvas.navigator_rect() is None  # fitted: the whole image is visible
    view.set(4.0, QPointF(50, 50))
    nav = canvas.navigator_rect()
    side = min(120, 0.3 * min(canvas.width(), canvas.height()))  # NAVIGATOR_SIDE, or less in a small pane
    assert nav is not None and max(nav.width(), nav.height()) == pytest.approx(side)
    assert nav.right() <= canvas.width() and nav.bottom() <= canvas.height()
    canvas.grab()  # paints the navigator (its thumbnail is made once)
    assert canvas._thumbnail[0][0] is canvas.qimage
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(nav.center().x()), round(nav.center().y())))
    assert abs(view.center.x() - 200) < 4 and abs(view.center.y() - 100) < 4 and view.scale == 4.0


def test_the_navigator_never_covers_more_than_a_third_of_a_small_pane(qtbot):
    canvas, view = _shown_canvas(qtbot, 260, 200)
    canvas.qimage = to_qimage(np.zeros((300, 300, 3), np.float32))
    view.set(3.0, QPointF(150, 150))
    nav = canvas.navigator_rect()
    assert nav is not None and nav.width() <= 0.3 * min(canvas.width(), canvas.height()) + 1e-6


def test_display_images_keep_their_values_and_gray_stays_one_channel():
    from PySide6.QtGui import QColor, QImage

    from matting_studio.app.qt_images import display_qimage

    alpha = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    gray = display_qimage(alpha)
    assert gray.format() == QImage.Format.Format_Grayscale8 and (gray.width(), gray.height()) == (4, 3)
    assert [QColor(gray.pixel(x, 1)).red() for x in range(4)] == [round(v * 255) for v in alpha[1]]
    rgba = np.zeros((24, 24, 4), np.float32)
    rgba[:12, :12] = (1.0, 0.0, 0.0, 1.0)  # opaque red over the top-left square; the rest transparent
    shown = display_qimage(rgba)
    assert shown.format() == QImage.Format.Format_RGB888
    assert QColor(shown.pixel(2, 2)).getRgb()[:3] == (255, 0, 0)
    assert QColor(shown.pixel(14, 2)).getRgb()[:3] == (153, 153, 153)  # the checkerboard's dark square (0.6)
    assert QColor(shown.pixel(14, 14)).getRgb()[:3] == (204, 204, 204)  # and its light one (0.8)
