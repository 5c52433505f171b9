"""What the team hears of its reminders: the salesperson's review and
follow-up activities (one open activity of each kind per contract), the
activity to fix a bounced address, and the notes of reminders that bad data
stopped."""

from markupsafe import Markup

from odoo import api, models


class RenewalReminder(models.Model):
    _inherit = "renewal.reminder"

    def _schedule_salesperson_activities(self):
        """Tell the salespeople: a review to do, or a renewal to follow up.

        One open activity of each kind per contract: a contract that already
        has one gets its deadline moved, not a second activity. The delay of
        a follow-up is the activity type's.
        """
        review_type = self.env.ref("renewal_reminder.mail_activity_type_renewal_review")
        follow_type = self.env.ref(
            "renewal_reminder.mail_activity_type_renewal_follow_up"
        )
        deadlines = {
            review_type: review_type._get_date_deadline(),
            follow_type: follow_type._get_date_deadline(),
        }
        wanted = {}
        for reminder in self:
            user = reminder.user_id
            if not user:
                continue
            if reminder.state == "review":
                activity_type = review_type
                summary = self.env._(
                    "Review the %(days)s-day renewal reminder",
                    days=reminder.days_before,
                )
            elif reminder.state == "queued" and (
                reminder.trigger != "scheduler" or reminder.stage_id.notify_salesperson
            ):
                activity_type = follow_type
                summary = self.env._(
                    "Follow up the renewal reminder sent to %(partner)s",
                    partner=reminder.recipient_id.display_name,
                )
            else:
                continue
            wanted[(reminder.contract_id.id, activity_type)] = {
                "res_id": reminder.contract_id.id,
                "activity_type_id": activity_type.id,
                "user_id": user.id,
                "date_deadline": deadlines[activity_type],
                "summary": summary,
            }
        if not wanted:
            return
        Activity = self.env["mail.activity"].sudo()
        existing = Activity.search(
            [
                ("res_model", "=", "contract.contract"),
                ("res_id", "in", list({res_id for res_id, _type in wanted})),
                ("activity_type_id", "in", [review_type.id, follow_type.id]),
            ]
        )
        for activity in existing:
            values = wanted.pop((activity.res_id, activity.activity_type_id), None)
            if values and values["date_deadline"] > activity.date_deadline:
                activity.write(
                    {
                        "date_deadline": values["date_deadline"],
                        "summary": values["summary"],
                    }
                )
        # The activities are the news, not the status they move the
        # contract to (see renewal.scheduler._process_due_contracts).
        Activity.with_context(mail_notrack=True)._renewal_schedule_bulk(
            "contract.contract", list(wanted.values())
        )

    @api.model
    def _schedule_once(self, xmlid, wanted):
        """Give each contract of ``wanted`` ({contract: (summary, note)}) one
        activity of the type ``xmlid`` for its salesperson, unless one is
        still open: one to-do per thing to do, however often it comes up.
        Returns the activities created."""
        activity_type = self.env.ref(xmlid)
        wanted = {
            contract: texts for contract, texts in wanted.items() if contract.user_id
        }
        if not wanted:
            return self.env["mail.activity"]
        Activity = self.env["mail.activity"].sudo()
        open_ids = set(
            Activity.search(
                [
                    ("res_model", "=", "contract.contract"),
                    ("res_id", "in", [contract.id for contract in wanted]),
                    ("activity_type_id", "=", activity_type.id),
                ]
            ).mapped("res_id")
        )
        deadline = activity_type._get_date_deadline()
        return Activity.with_context(mail_notrack=True)._renewal_schedule_bulk(
            "contract.contract",
            [
                {
                    "res_id": contract.id,
                    "activity_type_id": activity_type.id,
                    "user_id": contract.user_id.id,
                    "date_deadline": deadline,
                    "summary": summary,
                    "note": note,
                }
                for contract, (summary, note) in wanted.items()
                if contract.id not in open_ids
            ],
        )

    def _schedule_address_activities(self):
        """A reminder bounced: its salesperson fixes the address (one
        activity per contract); the next stage goes to the backup contact
        meanwhile (see renewal.dispatch._email_recipient)."""
        wanted = {}
        for reminder in self.sudo():
            contract = reminder.contract_id
            summary = self.env._(
                "Fix the email address of %(partner)s",
                partner=reminder.recipient_id.display_name or "",
            )
            note = Markup("<p>%s</p><p>%s</p>") % (
                self.env._(
                    "The %(days)s-day renewal reminder to %(address)s bounced: "
                    "%(reason)s",
                    days=reminder.days_before,
                    address=reminder.email_to or reminder.recipient_id.email or "",
                    reason=reminder.reason or "",
                ),
                self.env._(
                    "Until the address is corrected, the next reminders go to "
                    "the customer's backup renewal contact, when there is one."
                ),
            )
            wanted[contract] = (summary, note)
        return self._schedule_once(
            "renewal_reminder.mail_activity_type_renewal_fix_address", wanted
        )

    def _log_problems_in_chatter(self):
        """Write each data problem in the contract's chatter, all at once.

        As notes from OdooBot, through Odoo's batch logging
        (``_message_log_batch``): one note per reminder with a problem.
        """
        reasons = self._data_problem_reasons()
        problems = self.filtered(lambda r: r.reason_code in reasons)
        if not problems:
            return
        reasons = dict(self._fields["reason_code"]._description_selection(self.env))
        # One body per contract and call: a contract with two problems gets
        # its second note in a second round.
        rounds = []
        for reminder in problems:
            body = Markup("<p><strong>%s</strong> %s</p><p>%s</p>") % (
                self.env._("Renewal reminder not sent:"),
                reasons.get(reminder.reason_code, ""),
                reminder.reason or "",
            )
            contract_id = reminder.contract_id.id
            for bodies in rounds:
                if contract_id not in bodies:
                    bodies[contract_id] = body
                    break
            else:
                rounds.append({contract_id: body})
        Contract = self.env["contract.contract"].sudo()
        for bodies in rounds:
            Contract.browse(list(bodies))._message_log_batch(
                bodies, author_id=self.env.ref("base.partner_root").id
            )
