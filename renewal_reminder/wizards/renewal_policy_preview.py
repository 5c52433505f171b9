from datetime import UTC, timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, format_datetime

from ..models.renewal_timing import HORIZON_DAYS
from ..tools import renewal_rules, renewal_simulation, renewal_timing
from ..tools.renewal_plan import ReminderPlan


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
    scenario = fields.Selection(
        selection=[
            (renewal_simulation.NO_ANSWER, "The customer never answers"),
            (
                renewal_simulation.OPENS_NEVER_ANSWERS,
                "The customer opens the emails but never answers",
            ),
            (renewal_simulation.BOUNCES, "The customer's email bounces"),
            (
                renewal_simulation.MORE_TIME_AT_2,
                "The customer asks for more time at the second reminder",
            ),
        ],
        string="Simulate",
        default=renewal_simulation.NO_ANSWER,
        required=True,
    )
    simulation = fields.Html(
        compute="_compute_simulation",
        sanitize=False,
        help="Everything the rest of the cycle would bring in this scenario, "
        "dated in the customer's time zone; nothing is sent or written.",
    )

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
        recipient = self.env["renewal.dispatch"]._email_recipient(contract)
        Mail = self.env["mail.mail"].sudo()
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
            # The answer block as the customer gets it; its links, made for
            # no reminder, open the "no longer valid" page.
            plan = ReminderPlan(
                state="scheduled",
                contract=contract,
                recipient=recipient,
                cycle_end=contract.renewal_cycle_end or fields.Date.today(),
                body=rendered.get("body_html") or "",
                template=template,
            )
            Answer = self.env["renewal.answer"]
            Answer._decorate([plan])
            body = Markup(plan.body)
            # Laid out as the customer's, with the links of the user who
            # gets the test (never the customer's own portal links).
            body_html = self.env["renewal.dispatch"]._render_layout(
                contract,
                self.env.user.partner_id,
                body,
                template.email_layout_xmlid or False,
                options.get("lang") or recipient.lang,
                Answer._unsubscribe_url(plan.mail_headers),
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

    # ------------------------------------------------------------------
    # Simulation
    # ------------------------------------------------------------------

    def _simulation_setup(self, now):
        """What the simulation needs of the contract and the policy."""
        self.ensure_one()
        self.contract_id.check_access("read")
        contract = self.contract_id.sudo()
        policy = self.policy_id.sudo()
        cycle_end = contract.renewal_cycle_end
        cycle_reminders = contract.renewal_reminder_ids.filtered(
            lambda r: r.cycle_end == cycle_end
        )
        handled = contract._renewal_handled_steps(cycle_reminders)
        offsets = dict(contract._renewal_stage_offsets(policy))
        pending = dict(renewal_rules.pending_stages(list(offsets.items()), handled))
        stages = policy.stage_ids.filtered(lambda stage: stage.id in pending)
        channels = {c for stage in stages for c in stage._channels()}
        fallback = policy._fallback_channel()
        if fallback:
            channels.add(fallback)
        found = (
            self.env["renewal.dispatch"]
            .sudo()
            ._recipients([(contract, channel) for channel in sorted(channels)])
        )
        Timing = self.env["renewal.timing"]
        calendar = policy.calendar_id
        tz = Timing._zone_name(contract._renewal_customer_tz())
        start = now.replace(tzinfo=UTC)
        end = start + timedelta(days=HORIZON_DAYS)
        customer = (
            contract.company_id,
            contract.partner_id.commercial_partner_id.industry_id,
        )
        return renewal_simulation.Setup(
            cycle_end=cycle_end,
            stages=[
                renewal_simulation.Stage(pending[stage.id], tuple(stage._channels()))
                for stage in stages
            ],
            tz=tz,
            openings=Timing._openings(calendar, tz, start, end) if calendar else None,
            blackouts=(
                Timing._blackouts(calendar, tz, start, end, *customer)
                if calendar
                else []
            ),
            preferred_hour=Timing._preferred_hour(contract, policy),
            delays=policy._escalation_delays(),
            fallback_channel=fallback,
            reachable={
                channel: not problem
                for channel, (_recipient, problem) in zip(
                    sorted(channels), found, strict=True
                )
            },
            backup=bool(
                contract.partner_id.commercial_partner_id.renewal_backup_partner_id.email
            ),
            grace_days=policy.grace_days,
        )

    @api.depends("policy_id", "contract_id", "scenario")
    @api.depends_context("lang", "tz")
    def _compute_simulation(self):
        now = fields.Datetime.now()
        for wizard in self:
            if not (wizard.policy_id and wizard.contract_id):
                wizard.simulation = False
                continue
            setup = wizard._simulation_setup(now)
            events = renewal_simulation.simulate(
                setup, wizard.scenario, now.replace(tzinfo=UTC)
            )
            wizard.simulation = wizard._simulation_html(setup, events)

    def _simulation_html(self, setup, events):
        """The simulated events as a dated table, in the customer's time."""
        if not events:
            return Markup('<p class="text-muted o_renewal_simulation">%s</p>') % (
                self.env._(
                    "Nothing more happens in this cycle: every stage was dealt "
                    "with, or the contract has no end date."
                )
            )
        rows = [
            Markup(
                '<tr class="o_renewal_simulation_%s"><td class="text-nowrap">%s</td>'
                "<td>%s</td></tr>"
            )
            % (
                event.kind,
                format_datetime(
                    self.env,
                    event.at.replace(tzinfo=None),
                    tz=setup.tz,
                    dt_format="short",
                ),
                self._event_text(event, setup),
            )
            for event in events
        ]
        return Markup(
            '<p class="text-muted">%s</p><table class="table table-sm '
            'o_renewal_simulation"><tbody>%s</tbody></table>'
        ) % (
            self.env._(
                "Times in the customer's time zone (%(tz)s). Nothing is sent or "
                "written.",
                tz=setup.tz,
            ),
            Markup("").join(rows),
        )

    def _event_text(self, event, setup):
        """What a simulated event means, in words."""
        channels = dict(
            self.env["renewal.policy.stage"]
            ._fields["channel"]
            ._description_selection(self.env)
        )
        channel = channels.get(event.channel, event.channel or "")
        delays = setup.delays
        why = {
            renewal_timing.OUTSIDE_HOURS: self.env._("held for the sending hours"),
            renewal_timing.BLACKOUT: self.env._("held past a blackout period"),
            renewal_timing.PREFERRED_HOUR: self.env._(
                "at the customer's usual reading hour"
            ),
        }
        kind = event.kind
        if kind in (renewal_simulation.SEND, renewal_simulation.FALLBACK):
            if kind == renewal_simulation.FALLBACK:
                text = self.env._(
                    "Email still unread after %(hours)s hours: the %(days)s-day "
                    "reminder again by %(channel)s",
                    hours=delays.unread,
                    days=event.days,
                    channel=channel,
                )
            elif event.detail == "backup":
                text = self.env._(
                    "%(channel)s: %(days)s-day reminder, to the backup contact",
                    channel=channel,
                    days=event.days,
                )
            else:
                text = self.env._(
                    "%(channel)s: %(days)s-day reminder",
                    channel=channel,
                    days=event.days,
                )
            if event.detail in why:
                text = self.env._(
                    "%(text)s (%(why)s)", text=text, why=why[event.detail]
                )
            return text
        texts = {
            renewal_simulation.SKIP: self.env._(
                "%(channel)s of the %(days)s-day stage not sent: the customer "
                "cannot be reached by %(channel)s",
                channel=channel,
                days=event.days,
            ),
            renewal_simulation.SUPERSEDED: self.env._(
                "%(days)s-day stage skipped: the cycle starts late, the "
                "%(send)s-day stage goes instead",
                days=event.days,
                send=event.detail,
            ),
            renewal_simulation.EXPIRED: self.env._(
                "%(days)s-day stage does not go: the cycle ends first",
                days=event.days,
            ),
            renewal_simulation.OPEN: self.env._("The customer opens the email"),
            renewal_simulation.BOUNCE: self.env._(
                "The email bounces: the reminder reads Bounced"
            ),
            renewal_simulation.FIX_ADDRESS: self.env._(
                "Activity for the salesperson: fix the email address; the next "
                "reminders go to the backup contact"
            )
            if setup.backup
            else self.env._(
                "Activity for the salesperson: fix the email address (no backup "
                "contact: the next reminders go to the same address)"
            ),
            renewal_simulation.ANSWER: self.env._(
                "The customer answers “I need more time”: the remaining "
                "reminders move %(days)s days later, nothing escalates",
                days=event.detail,
            ),
            renewal_simulation.FOLLOW_UP: self.env._(
                "Read %(hours)s hours ago, no answer: activity for the "
                "salesperson to follow up",
                hours=delays.read,
            ),
            renewal_simulation.AT_RISK: self.env._("The renewal is flagged at risk"),
            renewal_simulation.FORWARD: self.env._(
                "No answer %(hours)s hours after the %(days)s-day reminder: the "
                "%(next)s-day reminder goes out now",
                hours=delays.silence,
                days=event.days,
                next=event.detail,
            ),
            renewal_simulation.CALL: self.env._(
                "No answer %(hours)s hours after the last reminder: activity for "
                "the salesperson to call the customer",
                hours=delays.silence,
            ),
        }
        return texts.get(kind, kind)
