"""mail_tracking's tracking pixel, run read/write.

Odoo 18 runs a route without authentication in a read-only transaction (on
the read replica when there is one) and retries it read/write when it
writes; mail_tracking's pixel route records the opening but swallows the
error that would trigger the retry, so every opening would be lost. The
pixel writes: it runs read/write from the start.
"""

from odoo import http

from odoo.addons.mail_tracking.controllers.main import MailTrackingController


def _read_write(_controller):
    return False


class RenewalMailTrackingController(MailTrackingController):
    @http.route(readonly=_read_write)
    def mail_tracking_open(self, db, tracking_email_id, token=False, **kw):
        return super().mail_tracking_open(db, tracking_email_id, token=token, **kw)
