from odoo import api, models


class ContractLine(models.Model):
    _inherit = "contract.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.contract_id._renewal_cancel_stale_reminders()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if {"date_end", "is_canceled"} & set(vals):
            self.contract_id._renewal_cancel_stale_reminders()
        return result
