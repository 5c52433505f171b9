from odoo import api, models
from odoo.tools import float_round, formatLang

from odoo.addons.renewal_reminder.tools import renewal_limits

# Cycles that are over: renewed, lost, or ended without an answer.
ENDED_STATES = ("renewed", "lost", "lapsed")


class ContractContract(models.Model):
    _inherit = "contract.contract"

    @api.model
    def renewal_target_summary(self, domain=None):
        """The renewal rate of the contracts ``domain`` selects (as the user
        reads them) against the team's target, for the board's header.

        The rate is the share of ended cycles that were renewed; a cycle that
        lapsed without an answer counts as not renewed.
        """
        domain = list(domain or []) + [("renewal_state", "in", ENDED_STATES)]
        counts = dict(self._read_group(domain, ["renewal_state"], ["__count"]))
        decided = sum(counts.values())
        renewed = counts.get("renewed", 0)
        target = renewal_limits.target_rate(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("renewal_reminder.target_rate")
        )
        rate = float_round(100.0 * renewed / decided, 1) if decided else 0.0

        def percent(value):
            digits = 0 if float(value).is_integer() else 1
            return "%s%%" % formatLang(self.env, value, digits=digits)

        if decided:
            rate_text = self.env._(
                "Renewal rate %(rate)s (%(renewed)s renewed of %(ended)s ended)",
                rate=percent(rate),
                renewed=renewed,
                ended=decided,
            )
        else:
            rate_text = self.env._("No renewal cycle has ended yet")
        return {
            "decided": decided,
            "renewed": renewed,
            "rate": rate,
            "rate_label": percent(rate),
            "rate_text": rate_text,
            "target": target,
            "target_label": percent(target),
            "target_text": self.env._("Target %(target)s", target=percent(target)),
            "reached": bool(decided) and rate >= target,
        }
