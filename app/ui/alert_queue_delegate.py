"""Paints the queue's State column as a coloured pill and the Ack timer as a filling bar
(turns red at the agency timeout)."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from app.qt.alert_queue_model import ESCALATED_COLOUR, STATE_COLOURS, Col, Role


class AlertQueueDelegate(QStyledItemDelegate):
    def paint(self, painter, option, index):
        col = index.column()
        if col not in (Col.STATE, Col.ACK):
            return super().paint(painter, option, index)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        else:
            bg = index.data(Qt.ItemDataRole.BackgroundRole)
            if bg is not None:
                painter.fillRect(option.rect, bg)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        r = QRectF(option.rect).adjusted(4, 4, -4, -4)
        if col == Col.STATE:
            escalated = bool(index.data(Role.ESCALATED))
            colour = QColor(ESCALATED_COLOUR if escalated else STATE_COLOURS.get(index.data(Role.STATE), "#888"))
            painter.setRenderHint(painter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(r, 6, 6)
            painter.setPen(QColor("#000000") if not escalated else QColor("#ffffff"))
            f = option.font
            f.setBold(True)
            painter.setFont(f)
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
        else:
            frac = float(index.data(Role.ACK_FRACTION) or 0.0)
            acked = index.data(Role.STATE) != "new"
            bar = QRectF(r.left(), r.bottom() - 5, r.width() * frac, 5)
            colour = QColor("#4fc3f7") if acked else QColor(ESCALATED_COLOUR if frac >= 1.0 else "#ffcc00")
            painter.fillRect(bar, colour)
            painter.setPen(QPen(QColor("#e8edf3")))
            painter.drawText(r.adjusted(2, 0, 0, -5), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()
