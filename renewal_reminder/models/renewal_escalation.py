"""What happens after a reminder left: silence escalates, waiting ones leave.

Two scheduled actions, built like the daily pass (batches of claimed rows,
skipping those another worker holds, each batch under a savepoint, a
reminder that breaks noted and left out):

- the release pass sends the reminders that waited in the log for the
  customer's sending hours (an SMS; an email waits in Odoo's mail queue);
- the escalation pass takes the steps the rules of
  ``tools/renewal_escalation.py`` say are due: an unread email goes out
  again on the fallback channel, a reading left unanswered gets the
  salesperson's follow-up, silence brings the next stage forward and flags
  the renewal at risk (after the last stage: a call to make).
"""

import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_date, format_time

from ..tools import renewal_escalation, renewal_rules
from ..tools.renewal_plan import ReminderPlan
from .renewal_scheduler import _stops_the_pass

_logger = logging.getLogger(__name__)

RELEASE_CRON = "renewal_reminder.ir_cron_renewal_reminder_release"
ESCALATION_CRON = "renewal_reminder.ir_cron_renewal_reminder_escalate"
PASS_CRON = "renewal_reminder.ir_cron_renewal_reminder_send"


class RenewalEscalation(models.AbstractModel):
    _name = "renewal.escalation"
    _description = "Renewal Reminder Escalation"

    # ------------------------------------------------------------------
    # Shared: claim, batch, isolate
    # ------------------------------------------------------------------

    @api.model
    def _claim(self, where, order, limit):
        """Lock and return up to ``limit`` reminders matching ``where``
        (SQL), with their contracts: rows another worker holds are skipped,
        so two workers never take the same reminder, nor two reminders of
        one contract at once."""
        self.env["renewal.reminder"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT r.id FROM renewal_reminder r
                  JOIN contract_contract c ON c.id = r.contract_id
                 WHERE %s
                 ORDER BY %s
                 LIMIT %s
                   FOR UPDATE OF r, c SKIP LOCKED
                """,
                where,
                order,
                limit,
            )
        )
        return self.env["renewal.reminder"].browse(
            [row[0] for row in self.env.cr.fetchall()]
        )

    @api.model
    def _run_batch(self, method, reminders, now):
        """``method(reminders, now)`` under one savepoint; reminder by
        reminder when it fails, the one that breaks noted and left out."""
        try:
            with self.env.cr.savepoint():
                return method(reminders, now)
        except Exception as error:  # noqa: BLE001 - replayed one by one below
            if _stops_the_pass(error):
                raise
            _logger.warning(
                "Renewal escalation: a batch of %s reminders failed; replaying "
                "it one by one",
                len(reminders),
                exc_info=True,
            )
        for reminder in reminders:
            try:
                with self.env.cr.savepoint():
                    method(reminder, now)
            except Exception as error:  # noqa: BLE001 - noted on the reminder
                if _stops_the_pass(error):
                    raise
                self._note_failure(reminder, error, now)
        return None

    @api.model
    def _note_failure(self, reminder, error, now):
        """A reminder the pass cannot handle: logged, its steps closed so
        that it never blocks the others, and the reason kept on it."""
        _logger.warning(
            "Renewal escalation: reminder %s of contract %s failed and is left out: %s",
            reminder.id,
            reminder.contract_id.id,
            error,
        )
        values = {
            "escalated_date": reminder.escalated_date or now,
            "followed_up_date": reminder.followed_up_date or now,
            "fallback_date": reminder.fallback_date or now,
        }
        if reminder.state == "scheduled":
            values.update(
                state="failed",
                reason_code="render_error",
                reason=self.env._(
                    "The reminder could not be sent: %(error)s", error=error
                ),
                outcome_date=now,
            )
        reminder.sudo().write(values)

    @api.model
    def _batch_size(self):
        return self.env["res.config.settings"]._renewal_batch_size()

    @api.model
    def _wake(self, xmlid):
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if cron and cron.sudo().active:
            cron.sudo()._trigger()

    # ------------------------------------------------------------------
    # Release: reminders that waited for the sending hours
    # ------------------------------------------------------------------

    @api.model
    def _cron_release(self, batch_size=None):
        """Send the reminders whose moment came, one batch per call."""
        now = fields.Datetime.now()
        where = SQL(
            "r.state = 'scheduled' AND r.send_at IS NOT NULL AND r.send_at <= %s",
            now,
        )
        reminders = self._claim(
            where, SQL("r.send_at, r.id"), batch_size or self._batch_size()
        )
        if reminders:
            self._run_batch(self._release, reminders, now)
        remaining = (
            self.env["renewal.reminder"]
            .sudo()
            .search_count([("state", "=", "scheduled"), ("send_at", "<=", now)])
            if reminders
            else 0
        )
        self.env["ir.cron"]._notify_progress(done=len(reminders), remaining=remaining)
        if remaining:
            self._wake(RELEASE_CRON)
        return remaining

    @api.model
    def _release(self, reminders, now):
        """Check each waiting reminder's recipient again, then send it."""
        reminders = reminders.sudo().filtered(lambda r: r.state == "scheduled")
        found = self.env["renewal.dispatch"]._recipients(
            [(reminder.contract_id, reminder.channel) for reminder in reminders]
        )
        blocked = reminders.browse()
        Reminder = self.env["renewal.reminder"]
        for reminder, (recipient, problem) in zip(reminders, found, strict=True):
            if problem:
                # The customer opted out meanwhile, lost their number...
                reminder.write(
                    {
                        "state": "skipped",
                        "reason_code": problem,
                        "reason": Reminder._recipient_problem_text(problem, recipient),
                        "outcome_date": now,
                    }
                )
                blocked |= reminder
            elif recipient != reminder.recipient_id:
                # A new renewal contact since: the message goes to them.
                reminder.write({"recipient_id": recipient.id})
        ready = reminders - blocked
        if ready:
            self.env["renewal.dispatch"]._send_approved(ready)
            ready._schedule_salesperson_activities()
        blocked._log_problems_in_chatter()

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------

    @api.model
    def _cron_escalate(self, batch_size=None):
        """Take the escalation steps that fell due, one batch per call."""
        now = fields.Datetime.now()
        where = SQL("r.escalation_due IS NOT NULL AND r.escalation_due <= %s", now)
        reminders = self._claim(
            where, SQL("r.escalation_due, r.id"), batch_size or self._batch_size()
        )
        if reminders:
            self._run_batch(self._escalate_batch, reminders, now)
        remaining = (
            self.env["renewal.reminder"]
            .sudo()
            .search_count([("escalation_due", "<=", now)])
            if reminders
            else 0
        )
        self.env["ir.cron"]._notify_progress(done=len(reminders), remaining=remaining)
        if remaining:
            self._wake(ESCALATION_CRON)
        return remaining

    @api.model
    def _escalate_batch(self, reminders, now):
        """Decide each reminder's due steps, then take them set-based."""
        reminders = reminders.sudo()
        fallbacks, follow_ups, silences = [], [], []
        closed = reminders.browse()
        taken = set()
        for reminder in reminders:
            steps = renewal_escalation.escalation_steps(
                reminder._escalation_facts(),
                now,
                reminder.policy_id._escalation_delays(),
            )
            stage_key = (
                reminder.contract_id.id,
                reminder.cycle_end,
                reminder.days_before,
            )
            if self._superseded(reminder):
                # A later stage went out since: it is the one that counts.
                closed |= reminder
                continue
            for step in steps:
                if step == renewal_escalation.STEP_FALLBACK:
                    fallbacks.append(reminder)
                elif (step, stage_key) in taken:
                    # A stage sent on two channels escalates once.
                    closed |= reminder
                elif step == renewal_escalation.STEP_FOLLOW_UP:
                    taken.add((step, stage_key))
                    follow_ups.append(reminder)
                else:
                    taken.add((step, stage_key))
                    silences.append(reminder)
        if closed:
            closed.write(
                {
                    "escalated_date": now,
                    "followed_up_date": now,
                    "fallback_date": now,
                }
            )
        self._fall_back(fallbacks, now)
        self._follow_up(follow_ups, now)
        self._escalate(silences, now)
        # Whatever changed since a reminder's check was due (a stage edited,
        # a reading), its next check is computed afresh: none stays due.
        self.env.add_to_compute(reminders._fields["escalation_due"], reminders)
        reminders._recompute_recordset(["escalation_due"])

    @api.model
    def _with_siblings(self, reminders):
        """``reminders`` and the other channels' reminders of their stages
        (a stage sent by email and SMS escalates once)."""
        result = self.env["renewal.reminder"].union(*reminders)
        for reminder in reminders:
            result |= reminder.contract_id.renewal_reminder_ids.filtered(
                lambda r, this=reminder: r.trigger == "scheduler"
                and r.cycle_end == this.cycle_end
                and r.stage_id == this.stage_id
                and r.stage_id
            )
        return result

    @api.model
    def _superseded(self, reminder):
        """Whether a later stage of the cycle left after ``reminder``."""
        return any(
            other.trigger == "scheduler"
            and other.cycle_end == reminder.cycle_end
            and other.days_before < reminder.days_before
            and other.state in renewal_escalation.LEFT_STATES + ("queued",)
            for other in reminder.contract_id.renewal_reminder_ids
        )

    @api.model
    def _fall_back(self, reminders, now):
        """Send each unread email's stage again on the policy's fallback
        channel, through the daily pass's own steps (recipient check,
        review, rendering, sending hours, log)."""
        if not reminders:
            return
        Scheduler = self.env["renewal.scheduler"]
        plans = [
            ReminderPlan(
                contract=reminder.contract_id,
                policy=reminder.policy_id,
                cycle_end=reminder.cycle_end,
                today=fields.Date.context_today(self),
                stage=reminder.stage_id,
                channel=reminder.policy_id._fallback_channel(),
                trigger="fallback",
            )
            for reminder in reminders
        ]
        Scheduler._check_recipients(plans)
        Scheduler._dispatch_plans(plans)
        self.env["renewal.reminder"].union(*reminders).write({"fallback_date": now})

    @api.model
    def _when(self, value, tz):
        """``value`` as the salesperson reads it: their date format, the
        time in their time zone."""
        local = fields.Datetime.context_timestamp(self.with_context(tz=tz), value)
        return "%s %s" % (
            format_date(self.env, local.date()),
            format_time(self.env, value, tz=tz, time_format="short"),
        )

    @api.model
    def _follow_up(self, reminders, now):
        """A reading left unanswered: the salesperson follows up, with what
        the customer did and when (one activity per contract)."""
        if not reminders:
            return
        wanted = {}
        for reminder in reminders:
            contract = reminder.contract_id
            tz = contract.user_id.tz or "UTC"
            did = []
            if reminder.opened_date:
                did.append(
                    self.env._(
                        "opened it on %(when)s",
                        when=self._when(reminder.opened_date, tz),
                    )
                )
            if reminder.clicked_date:
                did.append(
                    self.env._(
                        "followed its link on %(when)s",
                        when=self._when(reminder.clicked_date, tz),
                    )
                )
            summary = self.env._(
                "%(partner)s read the %(days)s-day reminder but did not answer",
                partner=reminder.partner_id.display_name or "",
                days=reminder.days_before,
            )
            note = Markup("<p>%s</p>") % self.env._(
                "The customer %(did)s, and has not answered the reminder sent "
                "on %(sent)s. A call or a personal email may help them decide.",
                did=self.env._(" and ").join(did),
                sent=self._when(reminder.sent_date, tz),
            )
            wanted[contract] = (summary, note)
        self.env["renewal.reminder"]._schedule_once(
            "renewal_reminder.mail_activity_type_renewal_read", wanted
        )
        self._with_siblings(reminders).filtered(lambda r: not r.followed_up_date).write(
            {"followed_up_date": now}
        )

    @api.model
    def _escalate(self, reminders, now):
        """Silence: bring the next stage forward, or plan a call after the
        last one; flag the renewal at risk; say so once in the chatter."""
        if not reminders:
            return
        calls, notes = {}, []
        at_risk = {}
        for reminder in reminders:
            contract = reminder.contract_id
            delays = reminder.policy_id._escalation_delays()
            handled = contract._renewal_handled_steps(
                contract.renewal_reminder_ids.filtered(
                    lambda r, end=reminder.cycle_end: r.cycle_end == end
                )
            )
            pending = [
                days
                for _stage, days in renewal_rules.pending_stages(
                    contract._renewal_stage_offsets(), handled
                )
                if days < reminder.days_before
            ]
            if pending:
                reason = self.env._(
                    "No answer %(hours)s hours after the %(days)s-day reminder: "
                    "the %(next)s-day reminder goes out now instead of on its day.",
                    hours=delays.silence,
                    days=reminder.days_before,
                    next=max(pending),
                )
            else:
                reason = self.env._(
                    "No answer %(hours)s hours after the last reminder (%(days)s "
                    "days before the end): the salesperson calls the customer.",
                    hours=delays.silence,
                    days=reminder.days_before,
                )
                calls[contract] = (
                    self.env._(
                        "Call %(partner)s about the renewal",
                        partner=contract.partner_id.display_name or "",
                    ),
                    Markup("<p>%s</p>") % reason,
                )
            at_risk[contract] = reason
            notes.append((contract, reason))
        self._with_siblings(reminders).filtered(lambda r: not r.escalated_date).write(
            {"escalated_date": now}
        )
        # One write per set of equal values, not one per contract.
        updates = defaultdict(lambda: self.env["contract.contract"])
        for contract, reason in at_risk.items():
            values = {
                "renewal_risk_end": contract.renewal_cycle_end,
                "renewal_risk_reason": reason,
            }
            if contract.renewal_risk_end != contract.renewal_cycle_end:
                values["renewal_risk_date"] = now
            updates[tuple(sorted(values.items()))] |= contract
        for values, contracts in updates.items():
            contracts.with_context(mail_notrack=True).write(dict(values))
        self.env["renewal.reminder"]._schedule_once(
            "renewal_reminder.mail_activity_type_renewal_call", calls
        )
        # Said once in each contract's chatter, as notes logged in a batch.
        label = self.env._("Renewal at risk:")
        rounds = []
        for contract, reason in notes:
            body = Markup("<p><strong>%s</strong> %s</p>") % (label, reason)
            for bodies in rounds:
                if contract.id not in bodies:
                    bodies[contract.id] = body
                    break
            else:
                rounds.append({contract.id: body})
        Contract = self.env["contract.contract"]
        for bodies in rounds:
            Contract.browse(list(bodies)).with_context(
                mail_notrack=True
            )._message_log_batch(bodies)
        # The next stages are due now: the daily pass sends them.
        self._wake(PASS_CRON)
