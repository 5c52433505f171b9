"""The daily pass: which contracts are due, what each one gets, in batches.

The decisions are pure functions (``tools/renewal_rules.py``); this model
gathers their inputs set-based, claims the due contracts, hands what goes
out to the dispatch step (``renewal.dispatch``) and writes the reminder log.
"""

import logging
import random
import time
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL, format_date

from ..tools import renewal_escalation, renewal_rules
from ..tools.renewal_plan import ReminderPlan
from .renewal_reminder import OPEN_STATES

_logger = logging.getLogger(__name__)


# What a concurrent transaction causes (a worker, a person saving a form):
# the rows it holds or changed, not the data of one contract.
CONCURRENCY_ERRORS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)
# Tries of a batch that meets a lock or a deadlock, the first included, and
# the longest wait before the next try, in seconds (a random part of it: two
# workers that met do not meet again at once). A serialization failure is
# not tried again in the same transaction: its snapshot would fail the same
# way; the contracts go to the next run, in a transaction of its own.
CONCURRENCY_TRIES = 3
CONCURRENCY_WAIT = 0.5
# When a batch still meets one, the pass runs again this soon.
CONCURRENCY_RETRY = timedelta(minutes=1)


def _stops_the_pass(error):
    """Whether ``error`` ends the whole pass rather than one contract.

    A serialization failure belongs to a concurrent worker, and Odoo's cron
    runner does not retry the job: it waits for its next regular run (the
    daily pass retries the batch itself first, see ``_process_batch``).
    Odoo's CPU time limit raises a bare ``Exception`` in the middle of
    whatever runs: the pass stops there and resumes at the next run, as for
    a worker killed at its real-time limit.
    """
    return isinstance(error, CONCURRENCY_ERRORS) or type(error) is Exception


class RenewalScheduler(models.AbstractModel):
    _name = "renewal.scheduler"
    _description = "Renewal Reminder Scheduler"

    @api.model
    def _cron_send_due_reminders(self, batch_size=None):
        """Send the reminders that fell due, one batch per call.

        The cron framework calls again while work remains (committing in
        between); past its own limit, the cron is triggered again.
        """
        # A stored value the pass cannot use gives the default, with a warning.
        batch_size = batch_size or self.env["res.config.settings"]._renewal_batch_size()
        today = fields.Date.context_today(self)
        Contract = self.env["contract.contract"]
        domain = self._due_domain(today)
        try:
            with self.env.cr.savepoint():
                self._refresh_lapsed(today)
                contracts = self._claim_due(today, batch_size)
        except CONCURRENCY_ERRORS as error:
            # A due contract changed since this run began: a run of its own
            # takes the pass up.
            self._run_again_soon(Contract, error)
            return Contract.search_count(domain)
        if not contracts and Contract.search_count(domain):
            # Every contract left is held by another worker or a person:
            # look again in a minute rather than tomorrow.
            self._run_again_soon(Contract, None)
            return 0
        postponed = Contract
        if contracts:
            _reminders, postponed = self._process_batch(contracts, today)
        remaining = Contract.search_count(domain) if contracts else 0
        self.env["ir.cron"]._notify_progress(
            done=len(contracts - postponed), remaining=remaining
        )
        if remaining:
            for cron in self._pass_crons().filtered("active"):
                cron._trigger()
        return remaining

    @api.model
    def _refresh_lapsed(self, today):
        """Move to Lapsed the renewals whose end passed since yesterday (the
        end of the grace period, for a customer who asked for more time).

        The status is stored (the board groups on it), and a day passing
        changes no field: the daily pass refreshes it, set-based.
        """
        Contract = self.env["contract.contract"]
        lapsing = Contract.sudo().search(
            [
                (
                    "renewal_state",
                    "in",
                    ("upcoming", "reminding", "review", "more_time"),
                ),
                ("renewal_cycle_end", "<", today),
            ]
        )
        lapsing = lapsing.filtered(
            lambda contract: (
                contract.renewal_state != "more_time"
                or contract.renewal_cycle_end
                + timedelta(days=contract._renewal_grace())
                < today
            )
        )
        if lapsing:
            self.env.add_to_compute(Contract._fields["renewal_state"], lapsing)
            lapsing.with_context(mail_notrack=True)._recompute_recordset(
                ["renewal_state"]
            )
        return lapsing

    @api.model
    def _due_domain(self, today):
        """Contracts with a reminder due on ``today`` (or overdue)."""
        return [
            ("renewal_next_date", "<=", today),
            "|",
            ("renewal_pass_error_date", "=", False),
            ("renewal_pass_error_date", "<", today),
        ]

    @api.model
    def _note_pass_failures(self, failures, today):
        """Note on each contract why today's pass failed on it, and log it.

        ``failures`` maps contracts to their exception. A noted contract is
        left out of the rest of today's pass and tried again tomorrow.
        """
        for contract, error in failures.items():
            code = getattr(error, "pgcode", None) or type(error).__name__
            _logger.warning(
                "Renewal pass: contract %s (%s) failed and waits for tomorrow: [%s] %s",
                contract.id,
                contract.display_name,
                code,
                error,
            )
            contract.sudo().with_context(mail_notrack=True).write(
                {
                    "renewal_pass_error": f"[{code}] {error}",
                    "renewal_pass_error_date": today,
                }
            )

    @api.model
    def _claim_due(self, today, limit):
        """Lock and return up to ``limit`` contracts due on ``today`` (the
        contracts of ``_due_domain``, first due first).

        Rows another worker holds are skipped, so several cron workers on
        one database share the due contracts without sending twice.
        """
        Contract = self.env["contract.contract"].sudo().with_context(active_test=False)
        query = Contract._search(
            self._due_domain(today), order="renewal_next_date, id", limit=limit
        )
        # execute_query flushes what the query reads first.
        rows = self.env.execute_query(SQL("%s FOR UPDATE SKIP LOCKED", query.select()))
        return self.env["contract.contract"].browse([row[0] for row in rows])

    @api.model
    def _pass_crons(self):
        """The scheduled actions that run the daily pass, active or not.

        Odoo runs one scheduled action in one worker at a time; the pass is
        shared between workers by running copies of it (see the "Parallel
        passes" setting), whose claims skip the contracts another one holds.
        """
        main = self.env.ref(
            "renewal_reminder.ir_cron_renewal_reminder_send", raise_if_not_found=False
        )
        if not main:
            return self.env["ir.cron"]
        copies = (
            self.env["ir.cron"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("model_id", "=", main.model_id.id),
                    ("code", "=", main.code),
                    ("id", "!=", main.id),
                ],
                order="id",
            )
        )
        return main.sudo() | copies

    @api.model
    def _set_parallel_passes(self, count):
        """Keep ``count`` scheduled actions running the pass (1 to 16)."""
        count = self.env["res.config.settings"]._renewal_parallel_passes(count)
        crons = self._pass_crons()
        if not crons:
            return crons
        main, copies = crons[0], crons[1:]
        for index in range(len(copies), count - 1):
            copies |= main.copy(
                {
                    "name": self.env._(
                        "%(name)s (%(index)s)", name=main.name, index=index + 2
                    )
                }
            )
        copies[: count - 1].write({"active": main.active})
        copies[count - 1 :].write({"active": False})
        return main | copies[: count - 1]

    @api.model
    def _process_batch(self, contracts, today):
        """Process a batch under one savepoint; contract by contract if it fails.

        The clean path keeps its constant number of queries. When something
        in the batch fails (a database constraint, a bug an add-on brings),
        each contract is replayed alone: the others go out, and the one that
        fails is noted with its reason and left out of today's pass, so that
        it is not retried ahead of the others forever, and the scheduled
        action never fails (Odoo deactivates one that keeps failing).

        A concurrent transaction holding or changing the rows is no fault of
        the contracts: the batch is tried again, and if it still meets it,
        the contracts wait for the pass a minute later (Odoo's cron runner
        would leave a failed job to its next regular run, a day later).

        Returns the reminders and the contracts left to that run.
        """
        Contract = self.env["contract.contract"]
        try:
            return self._process_retrying(contracts, today), Contract
        except CONCURRENCY_ERRORS as error:
            self._run_again_soon(contracts, error)
            return self.env["renewal.reminder"], contracts
        except Exception as error:
            if _stops_the_pass(error):
                raise
            _logger.warning(
                "Renewal pass: a batch of %s contracts failed; replaying it "
                "contract by contract",
                len(contracts),
                exc_info=True,
            )
        reminders = self.env["renewal.reminder"]
        postponed = Contract
        failures = {}
        for contract in contracts:
            try:
                reminders |= self._process_retrying(contract, today)
            except CONCURRENCY_ERRORS as error:
                self._run_again_soon(contract, error)
                postponed |= contract
            except Exception as error:
                if _stops_the_pass(error):
                    raise
                failures[contract] = error
        self._note_pass_failures(failures, today)
        return reminders, postponed

    @api.model
    def _process_retrying(self, contracts, today):
        """``_process_due_contracts`` under a savepoint, tried again after a
        short random wait while a concurrent transaction holds its rows (up
        to ``CONCURRENCY_TRIES`` tries)."""
        for attempt in range(1, CONCURRENCY_TRIES + 1):
            try:
                with self.env.cr.savepoint():
                    return self._process_due_contracts(contracts, today)
            except CONCURRENCY_ERRORS as error:
                if attempt == CONCURRENCY_TRIES or isinstance(
                    error, psycopg2.errors.SerializationFailure
                ):
                    raise
                _logger.info(
                    "Renewal pass: a batch of %s contracts met a concurrent "
                    "update (%s); trying again",
                    len(contracts),
                    error.pgcode,
                )
                time.sleep(random.uniform(0, CONCURRENCY_WAIT * attempt))
        return self.env["renewal.reminder"]

    @api.model
    def _run_again_soon(self, contracts, error):
        """Leave ``contracts`` to a run of the pass in a minute: the running
        scheduled action (or the pass's own) is triggered then."""
        if error is None:
            _logger.info(
                "Renewal pass: the contracts left are held by another "
                "transaction; the pass looks again in a minute"
            )
        else:
            _logger.warning(
                "Renewal pass: %s contracts still meet a concurrent update (%s); "
                "the pass takes them again in a minute",
                len(contracts),
                error.pgcode,
            )
        cron = self.env["ir.cron"].sudo().browse(self.env.context.get("cron_id"))
        crons = cron.exists() or self._pass_crons()[:1]
        crons._trigger(at=fields.Datetime.now() + CONCURRENCY_RETRY)

    @api.model
    def _process_due_contracts(self, contracts, today):
        """Create, render and queue the reminders due for ``contracts``.

        Set-based: the number of queries does not grow with the number of
        contracts (templates render once per template and language).
        """
        contracts._renewal_cancel_stale_reminders()
        reminders = self._dispatch_plans(self._plan_reminders(contracts, today))
        # The emails in the chatter tell the story: the status moving from
        # "Upcoming" to "Reminding" on every send is not tracked on top.
        contracts.with_context(mail_notrack=True)._recompute_recordset(
            ["renewal_state", "renewal_next_date"]
        )
        recovered = contracts.filtered("renewal_pass_error_date")
        if recovered:
            recovered.write(
                {"renewal_pass_error": False, "renewal_pass_error_date": False}
            )
        return reminders

    @api.model
    def _dispatch_plans(self, plans):
        """Prepare, time and send ``plans``, and log them as reminders.

        Every message is prepared (a held one too: the salesperson reads
        it), given the first moment of the customer's sending hours, then
        what may go out is sent, channel by channel: an email waits in
        Odoo's mail queue until its moment, a message of a channel without
        such a queue waits in the log (``scheduled``) until the release
        pass sends it. Returns the reminders.
        """
        dispatch = self.env["renewal.dispatch"]
        dispatch._prepare(
            [plan for plan in plans if plan.state in ("scheduled", "review")]
        )
        to_send = [plan for plan in plans if plan.state == "scheduled"]
        self.env["renewal.timing"]._plan_moments(to_send)
        to_send = self._skip_unsendable(to_send)
        dispatch._send(
            [
                plan
                for plan in to_send
                if not plan.send_later or dispatch._queues_later(plan)
            ]
        )
        reminders = self.env["renewal.reminder"].create(
            [self._plan_values(plan) for plan in plans]
        )
        reminders._schedule_salesperson_activities()
        # A fallback that cannot reach the customer (no mobile number, most
        # often) is a line of the log, not news for the chatter.
        reminders.filtered(lambda r: r.trigger != "fallback")._log_problems_in_chatter()
        return reminders

    @api.model
    def _skip_unsendable(self, plans):
        """Skip the plans the sending hours and blackout periods leave no
        moment for before their cycle ends (a reminder of a renewal that is
        over says nothing true); returns the others."""
        sendable = []
        for plan in plans:
            last_day = plan.cycle_end + timedelta(days=plan.contract._renewal_grace())
            at = plan.send_at
            if plan.no_moment or (at and at.date() > last_day):
                plan.update(
                    state="skipped",
                    reason_code="no_send_window",
                    reason=self.env._(
                        "The sending hours and blackout periods leave no moment to "
                        "send this reminder before the renewal cycle ends on "
                        "%(end)s.",
                        end=format_date(self.env, last_day),
                    ),
                    send_later=False,
                )
                continue
            sendable.append(plan)
        return sendable

    @api.model
    def _plan_reminders(self, contracts, today):
        """Decide, per contract, which stage goes out and which are skipped."""
        plans = []
        to_supersede = defaultdict(lambda: self.env["renewal.reminder"])
        first_day = contracts._renewal_first_day()
        for contract in contracts:
            cycle_end = contract.renewal_cycle_end
            if renewal_rules.ended_before(cycle_end, first_day):
                continue
            cycle_reminders = contract.renewal_reminder_ids.filtered(
                lambda reminder, end=cycle_end: reminder.cycle_end == end
            )
            policy = contract.renewal_policy_id
            base = {
                "contract": contract,
                "policy": policy,
                "cycle_end": cycle_end,
                "today": today,
            }

            if not policy:
                if not cycle_reminders.filtered(lambda r: r.reason_code == "no_policy"):
                    reason = self.env._(
                        "No renewal policy matches this contract: give its "
                        "customer a tier or set a default policy in Settings."
                    )
                    plans.append(
                        self._skipped_plan(
                            base, self.env["renewal.policy.stage"], "no_policy", reason
                        )
                    )
                continue
            # A stage is known by its record, not its days: a policy edited
            # mid-cycle never sends a step twice (see pending_stages).
            # An email the mail queue holds for the sending hours waits too:
            # a later stage due meanwhile replaces it.
            scheduled = cycle_reminders.filtered(lambda r: r.trigger == "scheduler")
            held = (
                scheduled.filtered(lambda r: r.state in OPEN_STATES)
                | scheduled._held_in_mail_queue()
            )
            # A customer's request for more time moved the remaining stages:
            # the cycle is planned as on the day that many days earlier.
            # Silence brought the next stage forward: as on its day.
            offsets = contract._renewal_stage_offsets(policy)
            handled = contract._renewal_handled_steps(cycle_reminders)
            plan_day = renewal_escalation.forwarded_today(
                today - timedelta(days=contract._renewal_grace()),
                cycle_end,
                [
                    days
                    for _stage, days in renewal_rules.pending_stages(offsets, handled)
                ],
                contract._renewal_escalated_days(cycle_reminders),
            )
            decision = renewal_rules.cycle_plan(
                plan_day, cycle_end, offsets, handled, held.ids
            )
            stages = policy.stage_ids
            ended = self.env._(
                "The renewal cycle ended on %(end)s before this stage could go out.",
                end=format_date(self.env, cycle_end),
            )
            for stage_id in decision.expired:
                plans.append(
                    self._skipped_plan(base, stages.browse(stage_id), "expired", ended)
                )
            if decision.send is None:
                continue
            send = stages.browse(decision.send)
            superseded = self.env._(
                "Superseded by the %(days)s-day stage that is due now.",
                days=send.days_before,
            )
            if decision.superseded:
                # One line for the stages a late entrant skips, on the one
                # closest to the stage sent: the cycle moving forward keeps
                # the others from ever going out (see pending_stages).
                skipped = stages.browse(decision.superseded)
                reason = superseded
                if len(skipped) > 1:
                    reason = self.env._(
                        "Superseded by the %(days)s-day stage that is due now "
                        "(the %(stages)s-day stages were not sent).",
                        days=send.days_before,
                        stages=", ".join(str(d) for d in skipped.mapped("days_before")),
                    )
                plans.append(
                    self._skipped_plan(base, skipped[-1], "superseded", reason)
                )
            if decision.held:
                to_supersede[superseded] |= held.browse(decision.held)
            plans.extend(
                ReminderPlan(**base, stage=send, channel=channel, state="scheduled")
                for channel in send._channels()
            )
        if to_supersede:
            self._supersede_held(to_supersede)
        self._check_recipients([plan for plan in plans if plan.state == "scheduled"])
        return plans

    @api.model
    def _supersede_held(self, superseded):
        """Close the held reminders a later stage replaces, with the reason.

        ``superseded`` maps reason texts to reminders.
        """
        now = fields.Datetime.now()
        closed = self.env["renewal.reminder"]
        for reason, reminders in superseded.items():
            reminders._stop_held_mails()
            reminders.write(
                {
                    "state": "skipped",
                    "reason_code": "superseded",
                    "reason": reason,
                    "outcome_date": now,
                }
            )
            closed |= reminders
        closed._close_review_activities()

    @api.model
    def _skipped_plan(self, base, stage, code, reason):
        # A step skipped is one line, on the stage's first channel.
        channel = stage._channels()[0] if stage else "email"
        return ReminderPlan(**base, stage=stage, channel=channel).skip(code, reason)

    @api.model
    def _check_recipients(self, plans):
        """Pick each plan's recipient on its stage's channel; skip the plans
        nobody may receive."""
        found = self.env["renewal.dispatch"]._recipients(
            [(plan.contract, plan.channel) for plan in plans]
        )
        for plan, (recipient, problem) in zip(plans, found, strict=True):
            contract = plan.contract
            plan.recipient = recipient
            plan.state = renewal_rules.send_decision(
                problem,
                plan.stage.review_required,
                contract.renewal_tier_id.review_required,
            )
            if problem:
                plan.update(
                    reason_code=problem,
                    reason=self.env["renewal.reminder"]._recipient_problem_text(
                        problem, recipient
                    ),
                )

    @api.model
    def _plan_values(self, plan):
        stage = plan.stage
        now = fields.Datetime.now()
        state = plan.state
        recipient = plan.recipient
        return {
            "contract_id": plan.contract.id,
            "stage_id": stage.id,
            "policy_id": plan.policy.id,
            "cycle_end": plan.cycle_end,
            "days_before": stage.days_before if stage else False,
            "channel": plan.channel or stage.channel or "email",
            "tone": stage.tone,
            "state": state,
            "reason_code": plan.reason_code,
            "reason": plan.reason,
            "scheduled_date": plan.today,
            "recipient_id": recipient.id if recipient else False,
            "subject": plan.subject,
            # A queued reminder's text is its email's (see _queue).
            "draft_body": (plan.held_body or plan.body) if state != "queued" else False,
            "send_at": plan.send_at or False,
            "send_at_reason": plan.send_at_reason or False,
            "outcome_date": now if state in ("skipped", "failed") else False,
            "trigger": plan.trigger,
            "queued_date": plan.queued_date or False,
            "answer_key": plan.answer_key or False,
            # What the channel that sent it records (its email, message...).
            **plan.sent_values,
        }
