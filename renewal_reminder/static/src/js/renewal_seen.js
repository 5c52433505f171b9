/** @odoo-module **/

import publicWidget from "@web/legacy/js/public/public_widget";

/**
 * A renewal page tells the server it is shown, once, when a person has it
 * in front of them: a mail scanner fetching the link runs no script, and a
 * tab opened in the background waits until it comes to the front.
 */
publicWidget.registry.RenewalSeen = publicWidget.Widget.extend({
    selector: ".o_renewal_seen",

    start() {
        this._onVisible = this._onVisible.bind(this);
        if (document.visibilityState === "visible") {
            this._send();
        } else {
            document.addEventListener("visibilitychange", this._onVisible);
        }
        return this._super(...arguments);
    },

    destroy() {
        document.removeEventListener("visibilitychange", this._onVisible);
        this._super(...arguments);
    },

    _onVisible() {
        if (document.visibilityState === "visible") {
            document.removeEventListener("visibilitychange", this._onVisible);
            this._send();
        }
    },

    _send() {
        if (this._sent) {
            return;
        }
        this._sent = true;
        const body = new FormData();
        body.append("csrf_token", this.el.dataset.csrfToken);
        fetch(this.el.dataset.renewalSeenUrl, {
            method: "POST",
            body,
            credentials: "same-origin",
            keepalive: true,
        }).catch(() => {
            // Nothing to tell the customer: the page works without it.
        });
    },
});

export default publicWidget.registry.RenewalSeen;
