from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..tools import renewal_rules


class RenewalPolicyPreview(models.TransientModel):
    """See a policy's dated timeline and messages on a contract before it is live."""

    _name = "renewal.policy.preview"
    _description = "Renewal Policy Preview"

    policy_id = fields.Many2one(comodel_name="renewal.policy", required=True)
    contract_id = fields.Many2one(
        comodel_name="contract.contract",
        required=True,
        domain=[("contract_type", "=", "sale")],
    )
    cycle_end = fields.Date(related="contract_id.renewal_cycle_end", related_sudo=False)
    timeline = fields.Html(compute="_compute_timeline", sanitize=False)

    def _stage_messages(self):
        """[(stage, date, rendered values or exception)] in sending order."""
        self.ensure_one()
        self.contract_id.check_access("read")
        cycle_end = self.contract_id.renewal_cycle_end
        result = []
        for stage in self.policy_id.stage_ids.sorted("days_before", reverse=True):
            rendered = self.env["renewal.dispatch"]._render_template(
                stage._template(), [self.contract_id.id]
            )
            result.append(
                (
                    stage,
                    cycle_end
                    and renewal_rules.stage_date(cycle_end, stage.days_before),
                    rendered[self.contract_id.id],
                )
            )
        return result

    def _stage_content(self, stage, values):
        """The preview of one stage's messages, one per channel it sends on."""
        return Markup("").join(
            self._channel_content(channel, stage, values)
            for channel in stage._channels()
        )

    def _channel_content(self, channel, stage, values):
        """The preview of a stage's message on ``channel`` (the email here;
        a channel add-on shows its own)."""
        if channel != "email":
            return Markup("")
        if isinstance(values, Exception):
            return Markup('<p class="text-danger">%s</p>') % values
        return Markup(
            '<p class="text-muted o_renewal_sender">%s</p>'
            "<p><strong>%s</strong></p>"
            '<div class="border p-2 mb-3">%s</div>'
        ) % (
            self._sender_text(values)[1],
            values.get("subject") or "",
            Markup(values.get("body_html") or ""),
        )

    def _sender_text(self, values):
        """Who the customer's email of ``values`` comes from, and why."""
        address, origin = self.env["renewal.dispatch"]._sender_address(
            self.contract_id, values.get("email_from")
        )
        origins = {
            "settings": self.env._("the sender of the Renewals settings"),
            "template": self.env._("the template's sender"),
            "salesperson": self.env._("the salesperson's address"),
            "company": self.env._("the company's address"),
        }
        if not address:
            return address, self.env._("no sender address: set one in Settings")
        return address, self.env._(
            "From %(address)s (%(origin)s)", address=address, origin=origins[origin]
        )

    def _cycle_reminders(self):
        """{stage: reminders} of the contract's current cycle (one per
        channel), read as the user."""
        self.ensure_one()
        cycle_end = self.contract_id.renewal_cycle_end
        if not cycle_end:
            return {}
        reminders = self.env["renewal.reminder"].search(
            [
                ("contract_id", "=", self.contract_id.id),
                ("cycle_end", "=", cycle_end),
                ("stage_id", "in", self.policy_id.stage_ids.ids),
            ]
        )
        return reminders.sorted("id").grouped("stage_id")

    def _stage_badges(self, stage, reminders):
        """What already happened to a stage in this cycle, a badge per
        channel it went out on (named when the stage has several)."""
        several = len(stage._channels()) > 1
        return Markup("").join(
            self._stage_badge(reminder, with_channel=several) for reminder in reminders
        )

    def _stage_badge(self, reminder, with_channel=False):
        """What already happened to a reminder, as a badge."""
        if not reminder:
            return Markup("")
        colours = {
            "sent": "text-bg-success",
            "queued": "text-bg-info",
            "review": "text-bg-warning",
            "failed": "text-bg-danger",
            "bounced": "text-bg-danger",
        }
        moment = (
            reminder.sent_date
            or reminder.queued_date
            or reminder.outcome_date
            or reminder.create_date
        )
        text = self.env._(
            "%(status)s on %(date)s",
            status=reminder.status_summary,
            date=format_date(self.env, moment.date()) if moment else "",
        )
        if with_channel:
            channels = dict(
                reminder._fields["channel"]._description_selection(self.env)
            )
            text = self.env._(
                "%(channel)s: %(status)s",
                channel=channels.get(reminder.channel, reminder.channel),
                status=text,
            )
        return Markup(' <span class="badge %s o_renewal_stage_state">%s</span>') % (
            colours.get(reminder.state, "text-bg-secondary"),
            text,
        )

    @api.depends("policy_id", "contract_id")
    @api.depends_context("lang", "tz")
    def _compute_timeline(self):
        for wizard in self:
            if not (wizard.policy_id and wizard.contract_id):
                wizard.timeline = False
                continue
            blocks = []
            done = wizard._cycle_reminders()
            for stage, day, values in wizard._stage_messages():
                when = format_date(self.env, day) if day else self.env._("no end date")
                heading = Markup("<h5>%s — %s%s</h5>") % (
                    when,
                    stage.name,
                    wizard._stage_badges(stage, done.get(stage, [])),
                )
                blocks.append(heading + wizard._stage_content(stage, values))
            wizard.timeline = Markup("").join(blocks)

    def action_send_test(self):
        """Send every stage's message to the current user, not the customer.

        Each is the email the customer gets (Odoo's layout for the customer,
        the same sender, reply-to and mail server), only addressed to the
        user and marked as a test; nothing is posted on the contract.
        """
        self.ensure_one()
        email_to = self.env.user.email_formatted
        if not self.env.user.email:
            raise UserError(self.env._("Set an email address on your user first."))
        contract = self.contract_id
        recipient = contract._renewal_recipient()
        Mail = self.env["mail.mail"].sudo()
        comment = self.env.ref("mail.mt_comment")
        reply_to = contract._notify_get_reply_to(default=False).get(contract.id)
        values = []
        for stage, _day, rendered in self._stage_messages():
            # The test sequence is the emails; other channels preview only.
            if isinstance(rendered, Exception) or "email" not in stage._channels():
                continue
            template = stage._template()
            options = template._generate_template(contract.ids, ("lang", "reply_to"))[
                contract.id
            ]
            email_from = self._sender_text(rendered)[0] or email_to
            author = contract.user_id.partner_id or contract.company_id.partner_id
            # The answer block as the customer gets it; its links, made for
            # no reminder, open the "no longer valid" page.
            plan = {
                "state": "scheduled",
                "contract": contract,
                "recipient": recipient,
                "cycle_end": contract.renewal_cycle_end or fields.Date.today(),
                "body": rendered.get("body_html") or "",
                "template": template,
            }
            Answer = self.env["renewal.answer"]
            Answer._decorate([plan])
            body = Markup(plan["body"])
            body_html = Mail._renewal_render_layout(
                contract,
                recipient,
                {
                    "body": body,
                    "author_id": author.id,
                    "email_from": email_from,
                    "message_type": "auto_comment",
                    "subtype_id": comment.id,
                    "email_add_signature": False,
                    "email_layout_xmlid": template.email_layout_xmlid or False,
                    "force_email_lang": options.get("lang"),
                },
                extra_render={
                    "renewal_unsubscribe_url": Answer._unsubscribe_url(
                        plan["mail_headers"]
                    )
                },
            )
            values.append(
                {
                    "subject": self.env._(
                        "[Test %(days)s days] %(subject)s",
                        days=stage.days_before,
                        subject=rendered.get("subject") or "",
                    ),
                    "body": body,
                    "body_html": body_html,
                    "email_from": email_from,
                    "reply_to": options.get("reply_to") or reply_to or email_from,
                    "mail_server_id": template.mail_server_id.id,
                    "email_to": email_to,
                    "auto_delete": True,
                }
            )
        Mail.create(values)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s test messages sent to %(email)s.",
                    count=len(values),
                    email=email_to,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
