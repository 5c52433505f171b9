import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import renewal_limits

_logger = logging.getLogger(__name__)

BATCH_SIZE_PARAM = "renewal_reminder.batch_size"
PARALLEL_PASSES_PARAM = "renewal_reminder.parallel_passes"
# The bad batch sizes already reported, per run of a scheduled action: the
# cron calls the pass once per batch, and one warning per run is enough.
_REPORTED_BATCH_SIZES = set()


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    renewal_default_policy_id = fields.Many2one(
        comodel_name="renewal.policy",
        string="Default Renewal Policy",
        config_parameter="renewal_reminder.default_policy_id",
        help="Policy for contracts that neither a policy nor their tier's "
        "default policy covers.",
    )
    renewal_sender_email = fields.Char(
        string="Reminder Sender",
        config_parameter="renewal_reminder.sender_email",
        help="Address reminders are sent from, e.g. "
        '"Renewals <renewals@example.com>"; when empty, each salesperson\'s '
        "own address, else the company's.",
    )
    renewal_target_rate = fields.Float(
        string="Renewal Target (%)",
        config_parameter="renewal_reminder.target_rate",
        default=renewal_limits.DEFAULT_TARGET_RATE,
        help="Share of contracts the team aims to renew; the dashboard "
        "measures the renewal rate against it.",
    )
    renewal_parallel_passes = fields.Integer(
        string="Parallel Passes",
        config_parameter=PARALLEL_PASSES_PARAM,
        default=1,
        help="How many workers share the daily pass. Odoo runs a scheduled action in "
        "one worker at a time: with more than one, copies of it run side by side, "
        "each taking the due contracts the others do not hold.",
    )
    renewal_batch_size = fields.Integer(
        string="Batch Size",
        config_parameter=BATCH_SIZE_PARAM,
        default=renewal_limits.DEFAULT_BATCH_SIZE,
        help="How many contracts the daily pass handles in one batch, from 1 to "
        "1000 (100 by default); the pass goes on batch after batch until no "
        "contract is due.",
    )
    renewal_body_retention_days = fields.Integer(
        string="Keep Reminder Texts (Days)",
        config_parameter="renewal_reminder.body_retention_days",
        default=renewal_limits.DEFAULT_BODY_RETENTION_DAYS,
        help="The rendered text of a reminder that was skipped, refused, "
        "cancelled or failed is erased after this many days (30 to 3650); "
        "what was sent stays in the contract's chatter.",
    )
    renewal_review_tier_ids = fields.Many2many(
        comodel_name="renewal.tier",
        string="Tiers Needing Review",
        compute="_compute_renewal_review_tier_ids",
        inverse="_inverse_renewal_review_tier_ids",
        readonly=False,
        help="Reminders to customers of these tiers wait for a salesperson's "
        "approval before they go out.",
    )

    @api.depends("company_id")
    def _compute_renewal_review_tier_ids(self):
        tiers = self.env["renewal.tier"].browse(
            self.env["renewal.tier"]._review_tier_ids()
        )
        for settings in self:
            settings.renewal_review_tier_ids = tiers

    @api.constrains("renewal_parallel_passes")
    def _check_renewal_parallel_passes(self):
        for settings in self:
            if not renewal_limits.parallel_passes_allowed(
                settings.renewal_parallel_passes
            ):
                raise ValidationError(
                    self.env._(
                        "Parallel Passes must be from %(min)s to %(max)s, not "
                        "%(value)s.",
                        min=renewal_limits.MIN_PARALLEL_PASSES,
                        max=renewal_limits.MAX_PARALLEL_PASSES,
                        value=settings.renewal_parallel_passes,
                    )
                )

    @api.constrains("renewal_batch_size")
    def _check_renewal_batch_size(self):
        for settings in self:
            if not renewal_limits.batch_size_allowed(settings.renewal_batch_size):
                raise ValidationError(
                    self.env._(
                        "The Batch Size must be from %(min)s to %(max)s contracts, "
                        "not %(value)s.",
                        min=renewal_limits.MIN_BATCH_SIZE,
                        max=renewal_limits.MAX_BATCH_SIZE,
                        value=settings.renewal_batch_size,
                    )
                )

    @api.constrains("renewal_body_retention_days")
    def _check_renewal_body_retention_days(self):
        for settings in self:
            if not renewal_limits.body_retention_allowed(
                settings.renewal_body_retention_days
            ):
                raise ValidationError(
                    self.env._(
                        "Reminder texts are kept from %(min)s to %(max)s days, not "
                        "%(value)s.",
                        min=renewal_limits.MIN_BODY_RETENTION_DAYS,
                        max=renewal_limits.MAX_BODY_RETENTION_DAYS,
                        value=settings.renewal_body_retention_days,
                    )
                )

    @api.constrains("renewal_target_rate")
    def _check_renewal_target_rate(self):
        for settings in self:
            if not renewal_limits.target_rate_allowed(settings.renewal_target_rate):
                raise ValidationError(
                    self.env._(
                        "The Renewal Target is a share of contracts, from "
                        "%(min)s%% to %(max)s%%, not %(value)s%%.",
                        min=int(renewal_limits.MIN_TARGET_RATE),
                        max=int(renewal_limits.MAX_TARGET_RATE),
                        value=settings.renewal_target_rate,
                    )
                )

    @api.model
    def get_values(self):
        # Show what the daily pass runs with, not a stored value it cannot
        # use: a parameter written by hand never blocks saving the page.
        values = super().get_values()
        params = self.env["ir.config_parameter"].sudo()
        values["renewal_batch_size"] = self._renewal_batch_size(report=False)
        values["renewal_parallel_passes"] = renewal_limits.parallel_passes(
            params.get_param(PARALLEL_PASSES_PARAM)
        )
        return values

    def set_values(self):
        Parameters = self.env["ir.config_parameter"].sudo()
        default_before = Parameters.get_param("renewal_reminder.default_policy_id")
        result = super().set_values()
        if Parameters.get_param("renewal_reminder.default_policy_id") != default_before:
            self.env["contract.contract"]._renewal_reassign_policies()
        self.env["renewal.scheduler"].sudo()._set_parallel_passes(
            self.renewal_parallel_passes
        )
        return result

    def _inverse_renewal_review_tier_ids(self):
        Tier = self.env["renewal.tier"]
        for settings in self:
            chosen = settings.renewal_review_tier_ids
            current = Tier.browse(Tier._review_tier_ids())
            (current - chosen).write({"review_required": False})
            (chosen - current).write({"review_required": True})

    @api.model
    def _renewal_parallel_passes(self, count):
        """How many copies of the daily pass run for ``count``, within bounds."""
        return renewal_limits.parallel_passes(count)

    @api.model
    def _renewal_batch_size(self, report=True):
        """The batch size of the daily pass, read from its system parameter.

        A missing value gives the default; a value the pass cannot use gives
        the default (or the maximum, for one too large) and, with ``report``,
        a warning naming it, once per run of the scheduled action.
        """
        raw = self.env["ir.config_parameter"].sudo().get_param(BATCH_SIZE_PARAM)
        size, problem = renewal_limits.parse_batch_size(raw)
        if problem and report and self._renewal_first_report(raw):
            _logger.warning(
                "System parameter %s is %r, not a whole number from %s to %s: "
                "the daily pass handles %s contracts per batch.",
                BATCH_SIZE_PARAM,
                raw,
                renewal_limits.MIN_BATCH_SIZE,
                renewal_limits.MAX_BATCH_SIZE,
                size,
            )
        return size

    @api.model
    def _renewal_first_report(self, raw):
        """Whether ``raw`` was not reported yet in this run of the pass.

        A scheduled action's run calls the pass once per batch with the same
        ``lastcall`` in its context; outside a scheduled action every call
        is a run of its own.
        """
        context = self.env.context
        if "lastcall" not in context:
            return True
        key = (
            self.env.cr.dbname,
            context.get("cron_id"),
            str(context["lastcall"]),
            raw,
        )
        if key in _REPORTED_BATCH_SIZES:
            return False
        if len(_REPORTED_BATCH_SIZES) > 1000:
            _REPORTED_BATCH_SIZES.clear()
        _REPORTED_BATCH_SIZES.add(key)
        return True
