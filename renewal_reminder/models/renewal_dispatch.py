"""Where a prepared reminder leaves: one interface per channel.

``_prepare`` and ``_send`` take the plans of a batch and hand each channel
its own: a channel is a value of the stage's ``channel`` selection with a
``_prepare_<channel>`` and a ``_send_<channel>`` method. Email is the
core's; another add-on adds its channel with ``selection_add`` and these two
methods (see ``renewal_reminder_sms``). ``_send_<channel>`` marks each plan
it sends ``queued`` with the values the reminder records in
``plan.sent_values``.
"""

import base64
import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import email_normalize, html2plaintext

from ..tools import renewal_rules
from ..tools.renewal_mail import PreparedMails
from ..tools.renewal_plan import ReminderPlan

_logger = logging.getLogger(__name__)


class RenewalDispatch(models.AbstractModel):
    _name = "renewal.dispatch"
    _description = "Renewal Reminder Dispatch"

    @api.model
    def _by_channel(self, plans):
        channels = defaultdict(list)
        for plan in plans:
            channels[plan.channel or plan.stage.channel or "email"].append(plan)
        return channels

    @api.model
    def _prepare(self, plans):
        """Render each plan's message on its channel; a failure marks the plan."""
        for channel, channel_plans in self._by_channel(plans).items():
            getattr(self, f"_prepare_{channel}")(channel_plans)

    @api.model
    def _queues_later(self, plan):
        """Whether ``plan``'s channel holds a message until its moment
        itself (Odoo's mail queue does, with the email's scheduled date);
        another channel's plan waits in the reminder log."""
        return plan.channel == "email"

    @api.model
    def _send(self, plans):
        """Send the prepared plans on their channels."""
        for channel, channel_plans in self._by_channel(plans).items():
            getattr(self, f"_send_{channel}")(channel_plans)

    @api.model
    def _recipient(self, contract, channel):
        """``(recipient, problem)``: who a reminder of ``contract`` goes to on
        ``channel``, and the reason code it may not (or None)."""
        return self._recipients([(contract, channel)])[0]

    @api.model
    def _recipients(self, pairs):
        """``_recipient`` for each ``(contract, channel)`` of ``pairs``, in
        order: a channel's ``_recipients_<channel>(contracts)`` answers for
        all its contracts at once (it reads what it checks set-based)."""
        results = [None] * len(pairs)
        by_channel = defaultdict(list)
        for index, (_contract, channel) in enumerate(pairs):
            by_channel[channel or "email"].append(index)
        for channel, indexes in by_channel.items():
            found = getattr(self, f"_recipients_{channel}")(
                [pairs[index][0] for index in indexes]
            )
            for index, result in zip(indexes, found, strict=True):
                results[index] = result
        return results

    @api.model
    def _send_approved(self, reminders):
        """Send the held reminders a salesperson approved, channel by channel,
        at the first moment of the customer's sending hours: an email waits
        in the mail queue, another channel's message in the log (the release
        pass sends it)."""
        reminders = self._time_approved(reminders)
        by_channel = defaultdict(reminders.browse)
        for reminder in reminders:
            by_channel[reminder.channel or "email"] |= reminder
        for channel, group in by_channel.items():
            getattr(self, f"_send_approved_{channel}")(group)

    @api.model
    def _time_approved(self, reminders):
        """Give approved reminders their moment; returns those to send now
        (or to hand to a queue that holds them until then)."""
        waiting = reminders.filtered(lambda r: r.state != "scheduled")
        plans = [
            ReminderPlan(
                contract=reminder.contract_id,
                policy=reminder.policy_id or reminder.contract_id.renewal_policy_id,
                recipient=reminder.recipient_id,
                channel=reminder.channel,
                reminder=reminder,
            )
            for reminder in waiting
            if reminder.policy_id or reminder.contract_id.renewal_policy_id
        ]
        self.env["renewal.timing"]._plan_moments(plans)
        held = reminders.browse()
        for plan in plans:
            if not plan.send_later:
                continue
            values = {
                "send_at": plan.send_at,
                "send_at_reason": plan.send_at_reason or False,
            }
            if plan.channel != "email":
                values["state"] = "scheduled"
                held |= plan.reminder
            plan.reminder.sudo().write(values)
        return reminders - held

    @api.model
    def _choose_recipient(self, contract, reachable):
        """Who a reminder of ``contract`` goes to, on a channel that can
        reach the partners ``reachable(partner)`` says: the renewal contact
        the salesperson confirmed; while the new decision maker the customer
        named waits for that, the backup renewal contact; else the customer,
        or the backup contact when only the backup can be reached. Every
        channel chooses so; each says whom it can reach."""
        customer = contract.partner_id
        backup = customer.commercial_partner_id.renewal_backup_partner_id
        contact = contract.renewal_contact_id
        if contact and contact.active and reachable(contact):
            return contact
        if contract._renewal_contact_pending() and reachable(backup):
            return backup
        if reachable(customer) or not reachable(backup):
            return customer
        return backup

    @api.model
    def _recipient_problem(self, contract, recipient, by_email=True):
        """The reason code ``recipient`` may not get a reminder of
        ``contract`` (or None). ``by_email`` False leaves the email address
        and its blacklist out: another channel checks its own address."""
        commercial = recipient.commercial_partner_id
        return renewal_rules.recipient_problem(
            renewal_rules.RecipientCheck(
                email=recipient.email if by_email else "-",
                opted_out=contract.partner_id.renewal_opt_out
                or contract.partner_id.commercial_partner_id.renewal_opt_out
                or recipient.renewal_opt_out
                or commercial.renewal_opt_out,
                blacklisted=recipient.is_blacklisted if by_email else False,
                active=recipient.active and commercial.active,
                company_id=recipient.company_id.id or None,
            ),
            contract.company_id.id,
        )

    # ------------------------------------------------------------------
    # Email
    # ------------------------------------------------------------------

    @api.model
    def _email_recipient(self, contract):
        """Who an email of ``contract`` goes to: the addresses this cycle's
        reminders bounced from do not count until they change."""
        bounced = {
            email_normalize(reminder.email_to)
            for reminder in contract.renewal_reminder_ids
            if reminder.state == "bounced"
            and reminder.channel == "email"
            and reminder.cycle_end == contract.renewal_cycle_end
            and reminder.email_to
        } - {False}

        def reachable(partner):
            return bool(partner.email) and not (
                partner.email_normalized in bounced or partner.email_bounced
            )

        return self._choose_recipient(contract, reachable)

    @api.model
    def _recipients_email(self, contracts):
        results = []
        for contract in contracts:
            recipient = self._email_recipient(contract)
            results.append((recipient, self._recipient_problem(contract, recipient)))
        return results

    @api.model
    def _send_approved_email(self, reminders):
        reminders._queue_emails()

    @api.model
    def _prepare_email(self, plans):
        self._render_plans(plans)
        # The customer answers from the email itself.
        self.env["renewal.answer"]._decorate(plans)

    @api.model
    def _send_email(self, plans):
        """Post the plans' emails in their contracts' chatter, as a batch."""
        # Read before the composer (which empties the cache of the batch).
        addresses = [plan.recipient.email_formatted for plan in plans]
        mails, messages = self._queue(
            [
                {
                    "contract": plan.contract,
                    "recipient": plan.recipient,
                    "subject": plan.subject,
                    "body": plan.body,
                    "template": plan.template,
                    "mail_headers": plan.mail_headers,
                    "send_at": plan.send_later and plan.send_at,
                }
                for plan in plans
            ]
        )
        now = fields.Datetime.now()
        for plan, mail, message, address in zip(
            plans, mails, messages, addresses, strict=True
        ):
            if mail.sudo().state == "cancel":
                # Odoo's composer would not send it (no valid address).
                plan.update(
                    state="failed",
                    reason_code="delivery",
                    reason=dict(
                        mail._fields["failure_type"]._description_selection(self.env)
                    ).get(mail.sudo().failure_type)
                    or self.env._("The email could not be sent."),
                    sent_values={"mail_id": mail.id, "message_id": message.id},
                )
                continue
            plan.update(
                state="queued",
                queued_date=now,
                sent_values={
                    "mail_id": mail[:1].id,
                    "message_id": message.id,
                    "email_to": address,
                },
            )

    @api.model
    def _render_plans(self, plans):
        """Render the plans' messages: one pass per template and language."""
        # Templates read the salespeople one language group at a time: load
        # them all at once, so that the queries do not depend on the mix.
        self.env["contract.contract"].union(
            *(plan.contract for plan in plans)
        ).user_id.mapped("partner_id")
        # In the order of the plans: the same batch always runs the same way.
        stages = dict.fromkeys(plan.stage for plan in plans)
        templates = {stage: stage._template() for stage in stages}
        by_template = defaultdict(list)
        for plan in plans:
            by_template[templates[plan.stage]].append(plan)
        for template, template_plans in by_template.items():
            contract_ids = [plan.contract.id for plan in template_plans]
            rendered = self._render_template(template, contract_ids)
            for plan in template_plans:
                values = rendered.get(plan.contract.id)
                if isinstance(values, Exception):
                    plan.update(
                        state="failed",
                        reason_code="render_error",
                        reason=self.env._(
                            "Template “%(template)s” could not be rendered: %(error)s",
                            template=template.name,
                            error=values,
                        ),
                    )
                    continue
                plan.template = template
                plan.subject = values.get("subject") or ""
                plan.body = values.get("body_html") or ""
                plan.email_from = values.get("email_from") or False
                # The template is judged, not the customer's data.
                leftovers = list(values.get("leftovers") or [])
                if not plan.subject.strip() or not (
                    plan.body and html2plaintext(plan.body).strip()
                ):
                    leftovers.insert(0, "empty")
                if leftovers:
                    plan.update(
                        state="failed",
                        reason_code="unrendered",
                        reason=self.env._(
                            "The message still holds %(markers)s: it was not sent.",
                            markers=", ".join(leftovers),
                        ),
                    )

    @api.model
    def _render_template(self, template, contract_ids):
        """{contract_id: rendered values, or the exception that prevented it}.

        A contract that breaks the template (or a language that breaks it)
        costs only its own rendering: the others keep the batch path.
        """
        if not template:
            error = ValueError(self.env._("the stage has no email template"))
            return dict.fromkeys(contract_ids, error)
        if template.sudo().model != "contract.contract":
            # Never render another model's template on contract ids.
            error = ValueError(self.env._("it is not a contract template"))
            return dict.fromkeys(contract_ids, error)
        try:
            return template._renewal_render_batch(contract_ids)
        except Exception:  # noqa: BLE001 - isolate the contracts that break it
            _logger.info("Template %s failed on a batch; one by one", template.id)
        results = {}
        for contract_id in contract_ids:
            try:
                results.update(template._renewal_render_batch([contract_id]))
            except Exception as error:  # noqa: BLE001 - logged on the reminder
                results[contract_id] = error
        return results

    def _sender_address(self, contract=None, template_from=False):
        """(address, origin) a reminder of ``contract`` is sent from.

        The Settings sender (``renewal_reminder.sender_email``) when there is
        one; else what the template's sender renders (the standard templates
        say: the salesperson's address, else the company's); else the
        salesperson's address, else the company's. ``origin`` says which:
        "settings", "template", "salesperson" or "company".
        """
        settings = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("renewal_reminder.sender_email")
            or False
        )
        if settings or not contract:
            return settings, settings and "settings"
        salesperson = contract.user_id.email and contract.user_id.email_formatted
        company = contract.company_id.email and contract.company_id.email_formatted
        if template_from:
            if template_from == salesperson:
                return template_from, "salesperson"
            if template_from == company:
                return template_from, "company"
            return template_from, "template"
        if salesperson:
            return salesperson, "salesperson"
        return company or False, company and "company"

    @api.model
    def _queue(self, items):
        """Queue an email per item of ``items`` through Odoo's composer.

        Each item holds the contract, the recipient, the subject and body
        and the template (or False), with the unsubscribe headers and the
        moment of the customer's sending hours when there is one. The emails
        leave as Odoo sends mail to many records: ``mail.compose.message``
        in ``mass_mail`` mode, one composer per batch of emails that share
        their layout, mail server and auto-delete, each email kept as a log
        in its contract's chatter. Each goes to the customer alone (the
        checked recipient, and the further recipients its template names),
        from the salesperson (or the company) and from the address
        ``_sender_address`` gives, as its template says (layout, mail server,
        auto-delete, reply-to, attachments and reports, scheduled date). The
        mail queue is woken up to send them now rather than at its next run.
        Returns the lists of the emails and of their messages, in the order
        of ``items``.
        """
        if not items:
            return [], self.env["mail.message"]
        options = self._post_options(items)
        # The composer sends its records in batches of this size and empties
        # the cache after each: one composer per batch, read before it.
        chunk = (
            int(
                self.env["ir.config_parameter"].sudo().get_param("mail.batch_size") or 0
            )
            or 50
        )
        groups = defaultdict(list)
        for index, (item, opts) in enumerate(zip(items, options, strict=True)):
            template = item.get("template")
            key = (
                (template and template.email_layout_xmlid) or False,
                (template and template.mail_server_id.id) or False,
                bool(template and template.auto_delete),
            )
            # A composer takes each record once.
            for group in groups[key]:
                if item["contract"].id not in group and len(group) < chunk:
                    group[item["contract"].id] = (index, item, opts)
                    break
            else:
                groups[key].append({item["contract"].id: (index, item, opts)})
        mails = [None] * len(items)
        Mail = self.env["mail.mail"].sudo()
        for (layout, server_id, auto_delete), batches in groups.items():
            for batch in batches:
                self._prefetch_customers([item for _i, item, _o in batch.values()])
                prepared = PreparedMails(
                    (contract_id, self._prepared_mail(item, opts))
                    for contract_id, (_index, item, opts) in batch.items()
                )
                composer = (
                    self.env["mail.compose.message"]
                    .with_context(
                        renewal_mail_prepared=prepared,
                        mail_notify_force_send=False,
                        # The portal token the layout's links give a contract
                        # is no change of the contract for its chatter.
                        mail_notrack=True,
                    )
                    .create(
                        {
                            "composition_mode": "mass_mail",
                            "model": "contract.contract",
                            "res_ids": list(prepared),
                            "email_layout_xmlid": layout,
                            "mail_server_id": server_id,
                            "auto_delete": auto_delete,
                            "auto_delete_keep_log": True,
                            "force_send": False,
                            "use_exclusion_list": False,
                            "reply_to_force_new": False,
                        }
                    )
                )
                sent, _messages = composer._action_send_mail()
                by_contract = {mail.res_id: mail for mail in sent}
                for contract_id, (index, _item, _opts) in batch.items():
                    mails[index] = by_contract.get(contract_id, Mail)
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action", False)
        if queue:
            queue.sudo()._trigger()
            for moment in sorted(
                {item["send_at"] for item in items if item.get("send_at")}
            ):
                queue.sudo()._trigger(at=moment)
        return (
            [mail.sudo(False) for mail in mails],
            [mail.mail_message_id.sudo(False) for mail in mails],
        )

    @api.model
    def _sanitized(self, body):
        """``body`` sanitized as the composer keeps any body it sends."""
        Composer = self.env["mail.compose.message"]
        return Markup(
            Composer._fields["body"].convert_to_cache(body or "", Composer) or ""
        )

    @api.model
    def _prefetch_customers(self, items):
        """Read at once what Odoo's layout reads of each recipient, one
        record at a time (its address, its users and contacts for the
        portal links), so that a batch costs the same whatever its size."""
        partners = self.env["res.partner"].union(
            *(item["recipient"] | item["contract"].partner_id for item in items)
        )
        partners = partners.sudo()
        partners.mapped("email_normalized")
        partners.mapped("child_ids")
        partners.mapped("user_ids")

    @api.model
    def _prepared_mail(self, item, opts):
        """What the composer takes as it is for ``item``'s email (see
        mail.compose.message)."""
        contract, recipient = item["contract"], item["recipient"]
        email_from, _origin = self._sender_address(contract, opts.get("email_from"))
        author = contract.user_id.partner_id or contract.company_id.partner_id
        body = self._sanitized(item["body"])
        headers = item.get("mail_headers") or {}
        return {
            "subject": item["subject"],
            "body": body,
            "log_body": self.env["renewal.answer"]._without_links(body),
            "email_from": email_from,
            "lang": opts.get("lang") or recipient.lang or False,
            "author_id": author.id,
            "record_name": contract.display_name,
            # The checked recipient stands for the customer the template
            # names; the template's other recipients come along.
            "partner_ids": list(
                dict.fromkeys(
                    [recipient.id]
                    + [
                        pid
                        for pid in opts.get("partner_ids") or []
                        if pid != contract.partner_id.id
                    ]
                )
            ),
            "reply_to": opts.get("reply_to") or False,
            # The customer's sending hours hold it in Odoo's queue, else
            # the template's own date.
            "scheduled_date": item.get("send_at") or opts.get("scheduled_date"),
            "attachment_ids": opts.get("attachment_ids") or [],
            "attachments": opts.get("attachments") or [],
            "headers": headers,
            "unsubscribe_url": self.env["renewal.answer"]._unsubscribe_url(headers),
        }

    @api.model
    def _post_options(self, items):
        """Per item, what its template says about sending (see _queue)."""
        by_template = defaultdict(list)
        for index, item in enumerate(items):
            # Only a contract template says anything about a contract's email.
            template = item.get("template")
            if template and template.sudo().model == "contract.contract":
                by_template[template].append(index)
        options = [{} for _item in items]
        for template, indexes in by_template.items():
            ids = list(dict.fromkeys(items[i]["contract"].id for i in indexes))
            generated = template._renewal_post_options(ids)
            copies = template.attachment_ids
            for i in indexes:
                values = dict(generated.get(items[i]["contract"].id) or {})
                # Each message gets its own copy of the template's files,
                # as the composer gives them (message_post moves them on).
                if copies:
                    values["attachment_ids"] = (
                        copies.copy(
                            {"res_model": "mail.compose.message", "res_id": 0}
                        ).ids
                        if values.get("attachment_ids")
                        else []
                    )
                    values["attachment_ids"].reverse()
                else:
                    values["attachment_ids"] = []
                values["attachments"] = [
                    (name, base64.b64decode(content))
                    for name, content in values.get("attachments") or []
                ]
                options[i] = values
        return options

    @api.model
    def _render_layout(self, contract, recipient, body, layout, lang, unsubscribe_url):
        """The email ``recipient`` gets of ``body`` in ``layout``, as the
        composer lays out a reminder (see ``_queue``); nothing is posted. What
        a test of the policy sends to the user who asks for it."""
        body = self._sanitized(body)
        if not layout:
            return body
        message = self.env["mail.message"].new({"body": body})
        msg_vals = {
            "email_layout_xmlid": layout,
            "model": contract._name,
            "res_id": contract.id,
        }
        contract = contract.with_context(
            renewal_mail_prepared=PreparedMails(
                {contract.id: {"unsubscribe_url": unsubscribe_url}}
            )
        )
        for (
            _lang,
            render_values,
            group,
        ) in contract._notify_get_classified_recipients_iterator(
            message,
            [
                {
                    "active": True,
                    "id": recipient.id,
                    "lang": lang,
                    "notif": "email",
                    "share": True,
                    "type": "customer",
                    "ushare": False,
                }
            ],
            msg_vals=msg_vals,
            model_description=False,
            force_email_lang=lang,
        ):
            return contract._notify_by_email_render_layout(
                message, group, msg_vals=msg_vals, render_values=render_values
            )
        return body
