"""The image canvas: a navigator while zoomed in, which also moves the view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt

from matting_studio.app.image_pane import ImagePane
from matting_studio.app.qt_images import to_qimage
from matting_studio.app.view_state import ViewState


def test_the_navigator_appears_when_zoomed_in_and_a_click_there_moves_the_view(qtbot):
    view = ViewState()
    pane = ImagePane("input", "Input", view)
    qtbot.addWidget(pane)
    pane.resize(400, 300)
    pane.show()
    canvas = pane.canvas
    image = np.zeros((200, 400, 3), np.float32)
    image[:, 200:] = 1.0
    canvas.qimage = to_qimage(image)
    assert canvas.navigator_rect() is None  # fitted: the whole image is visible
    view.set(4.0, QPointF(50, 50))
    nav = canvas.navigator_rect()
    assert nav is not None and max(nav.width(), nav.height()) == 120
    assert nav.right() <= canvas.width() and nav.bottom() <= canvas.height()
    canvas.grab()  # paints the navigator (its thumbnail is made once)
    assert canvas._thumbnail[0] is canvas.qimage
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(nav.center().x()), round(nav.center().y())))
    assert abs(view.center.x() - 200) < 4 and abs(view.center.y() - 100) < 4 and view.scale == 4.0
