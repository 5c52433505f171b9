from odoo import api, models


class ResLang(models.Model):
    _inherit = "res.lang"

    @api.model
    def _renewal_install_language(self, code):
        """Activate ``code`` with the terms of every module, as Settings does.

        Activating a language alone leaves the modules installed before it
        untranslated (menus, labels, and the reminder templates themselves);
        Odoo's own "Add a language" loads them all.
        """
        self._activate_lang(code)
        modules = self.env["ir.module.module"].search(
            [("state", "in", ("installed", "to install", "to upgrade"))]
        )
        modules._update_translations(code)
        return True
