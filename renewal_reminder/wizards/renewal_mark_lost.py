from odoo import fields, models


class RenewalMarkLost(models.TransientModel):
    """Close a contract's renewal cycle as lost, saying why."""

    _name = "renewal.mark.lost"
    _description = "Mark Renewal Lost"

    contract_ids = fields.Many2many(
        comodel_name="contract.contract", string="Contracts", required=True
    )
    reason = fields.Char(
        required=True,
        help="Why the customer does not renew (kept on the contract and in its "
        "chatter).",
    )

    def action_mark_lost(self):
        self.ensure_one()
        self.contract_ids._renewal_mark_lost(self.reason)
        return {"type": "ir.actions.act_window_close"}
