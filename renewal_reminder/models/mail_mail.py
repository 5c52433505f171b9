import json
import uuid
from collections import defaultdict

from markupsafe import escape

from odoo import api, models
from odoo.tools import SQL, clean_context, split_every

# Message types Odoo sends out, and how many earlier messages it looks at to
# thread a new email (see mail.thread._notify_by_email_get_base_mail_values).
OUTGOING_TYPES = ("comment", "auto_comment", "email", "email_outgoing")
REFERENCE_CANDIDATES = 16
REFERENCE_ANCESTORS = 3
# What a message shows in its layout, for a message that is not posted.
MESSAGE_PREVIEW_FIELDS = (
    "author_id",
    "body",
    "email_add_signature",
    "email_from",
    "email_layout_xmlid",
    "message_type",
    "model",
    "record_name",
    "res_id",
    "subject",
    "subtype_id",
)


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        # Before the parent: it deletes the mails meant to be auto-deleted.
        self.env["renewal.delivery"]._sync_from_mails(
            self, failure_type, failure_reason
        )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    @api.model_create_multi
    def create(self, vals_list):
        mails = super().create(vals_list)
        # A reminder whose message was scheduled (the template's scheduled
        # date) gets its email when Odoo's schedule sends it.
        mails._renewal_link_reminders()
        return mails

    def _renewal_link_reminders(self):
        """Give the reminders still without an email theirs, once it exists."""
        messages = self.sudo().mail_message_id.filtered(
            lambda message: message.model == "contract.contract"
        )
        if not messages:
            return
        reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .search([("message_id", "in", messages.ids), ("mail_id", "=", False)])
        )
        for reminder in reminders:
            reminder.mail_id = self.sudo().filtered(
                lambda mail, r=reminder: mail.mail_message_id == r.message_id
                and r.recipient_id in mail.recipient_ids
            )[:1]

    @api.model
    def _renewal_render_layout(self, record, recipient, values, extra_render=None):
        """The email Odoo's layout makes for ``recipient`` of a message.

        ``values`` are those message_post would get (body, author_id,
        message_type, subtype_id, email_layout_xmlid, force_email_lang...);
        nothing is posted. What a customer's email looks like, for a test.
        """
        msg_vals = dict(
            values,
            model=record._name,
            res_id=record.id,
            partner_ids=recipient.ids,
            tracking_value_ids=[],
        )
        msg_vals.setdefault("record_name", record.sudo().display_name)
        Message = self.env["mail.message"]
        # The body as the message would store it (sanitized).
        msg_vals["body"] = Message._fields["body"].convert_to_cache(
            msg_vals.get("body") or "", Message
        )
        message = Message.new(
            {key: val for key, val in msg_vals.items() if key in MESSAGE_PREVIEW_FIELDS}
        )
        data = self.env["mail.followers"]._get_recipient_data(
            record, msg_vals["message_type"], msg_vals["subtype_id"], recipient.ids
        )[record.id][recipient.id]
        for (
            _lang,
            render_values,
            group,
        ) in record._notify_get_classified_recipients_iterator(
            message,
            [dict(data, notif="email")],
            msg_vals=msg_vals,
            force_email_lang=values.get("force_email_lang"),
        ):
            if recipient.id in group["recipients"]:
                return record._notify_by_email_render_layout(
                    message,
                    group,
                    msg_vals=msg_vals,
                    render_values=dict(render_values, **(extra_render or {})),
                )
        return values.get("body")

    @api.model
    def _renewal_post_batch(self, records, posts):
        """``records[i].message_post(**posts[i])`` for every i, in batches.

        The messages, notifications, emails and follower subscriptions are
        those ``message_post`` makes, through the ORM (every add-on's
        ``create`` runs on them), with Odoo's own helpers for the author,
        reply-to, attachments, recipients' layout and final email values;
        what Odoo queries once per message (the thread's first message, the
        references of the email, its recipients) is read once for the batch,
        and each kind of record is created in one ``create``. Emails are
        queued, never sent on the spot. Returns the messages, in order.
        """
        Message = self.env["mail.message"]
        if not posts:
            return Message
        records = records._fallback_lang()
        model = records._name
        record_list = list(records)
        unique = records.browse(dict.fromkeys(records.ids))
        companies = unique._mail_get_companies(default=self.env.company)
        alias_domains = unique.sudo()._mail_get_alias_domains(
            default_company=self.env.company
        )
        reply_tos = unique._notify_get_reply_to(default=False)
        parents = self._renewal_thread_parents(unique)
        self._renewal_ensure_portal_tokens(unique)
        note_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")

        values_list, notify_kwargs = [], []
        for record, post in zip(record_list, posts, strict=True):
            post = dict(post)
            body = post.pop("body", "")
            subject = post.pop("subject", None)
            message_type = post.pop("message_type", "notification")
            subtype_xmlid = post.pop("subtype_xmlid", None)
            subtype_id = post.pop("subtype_id", False)
            if subtype_xmlid:
                subtype_id = self.env["ir.model.data"]._xmlid_to_res_id(subtype_xmlid)
            partner_ids = list(post.pop("partner_ids", None) or [])
            attachments = post.pop("attachments", None)
            attachment_ids = list(post.pop("attachment_ids", None) or [])
            author_id, email_from = record._message_compute_author(
                post.pop("author_id", None),
                post.pop("email_from", None),
                raise_on_email=True,
            )
            values = {key: val for key, val in post.items() if key in Message._fields}
            notify_kwargs.append(
                {key: val for key, val in post.items() if key not in values}
            )
            values.setdefault("email_add_signature", True)
            if not values.get("record_name"):
                values["record_name"] = record.sudo().display_name
            values.update(
                {
                    "author_id": author_id,
                    "author_guest_id": False,
                    "email_from": email_from,
                    "model": model,
                    "res_id": record.id,
                    "body": escape(body),
                    "message_type": message_type,
                    "parent_id": parents.get(record.id, False),
                    "subject": subject or False,
                    "subtype_id": subtype_id or note_id,
                    "partner_ids": partner_ids,
                }
            )
            values.setdefault("record_alias_domain_id", alias_domains[record.id].id)
            values.setdefault("record_company_id", companies[record.id].id)
            if "reply_to" not in values:
                values["reply_to"] = reply_tos.get(record.id) or email_from
            values.update(
                record._process_attachments_for_post(
                    attachments, attachment_ids, values
                )
            )
            values_list.append(values)
        messages = records.browse()._message_create(values_list)
        if records._mail_flat_thread:
            # On a record without messages, the first one is the thread's
            # parent of the next ones, as when they are posted one by one.
            firsts = {}
            for record, message, values in zip(
                record_list, messages, values_list, strict=True
            ):
                if values["parent_id"]:
                    continue
                if record.id in firsts:
                    message.parent_id = values["parent_id"] = firsts[record.id]
                else:
                    firsts[record.id] = message.id
        self._renewal_subscribe_authors(record_list, values_list)
        for record, message, values in zip(
            record_list, messages, values_list, strict=True
        ):
            record._message_post_after_hook(message, values)
        self._renewal_notify_batch(record_list, messages, values_list, notify_kwargs)
        return messages

    @api.model
    def _renewal_ensure_portal_tokens(self, records):
        """Give the records the portal token their emails' links carry.

        Odoo writes it on the first email of a record; written here for the
        batch at once, the write is not tracked as a change of the record.
        """
        if "access_token" not in records._fields or not hasattr(
            records, "_portal_ensure_token"
        ):
            return
        missing = records.sudo().filtered(lambda record: not record.access_token)
        for record in missing.with_context(mail_notrack=True):
            record.access_token = str(uuid.uuid4())
        # What the portal reads of each record's customer for its links
        # (signup data), read once for the batch.
        customers = self.env["res.partner"].union(
            *records._mail_get_partners(introspect_fields=False).values()
        )
        customers.sudo().mapped("child_ids")
        customers.sudo().mapped("user_ids")

    @api.model
    def _renewal_thread_parents(self, records):
        """{record id: its first message}, as message_post attaches to it."""
        if not records._mail_flat_thread:
            return {}
        groups = (
            self.env["mail.message"]
            .sudo()
            ._read_group(
                [
                    ("res_id", "in", records.ids),
                    ("model", "=", records._name),
                    ("message_type", "!=", "user_notification"),
                ],
                ["res_id"],
                ["id:min"],
            )
        )
        return dict(groups)

    @api.model
    def _renewal_subscribe_authors(self, record_list, values_list):
        """Who message_post subscribes so that they get the answers."""
        if self.env.context.get("mail_create_nosubscribe"):
            return
        by_partner = defaultdict(set)
        authors = self.env["res.partner"].browse(
            {v["author_id"] for v in values_list if v["author_id"]}
        )
        for record, values in zip(record_list, values_list, strict=True):
            if values["message_type"] == "notification":
                continue
            if self.env.user.active:
                partner_id = self.env.user.partner_id.id
            elif values["author_id"] and authors.browse(values["author_id"]).active:
                partner_id = values["author_id"]
            else:
                continue
            by_partner[partner_id].add(record.id)
        for partner_id, res_ids in by_partner.items():
            record_list[0].browse(res_ids)._message_subscribe(partner_ids=[partner_id])

    @api.model
    def _renewal_recipients(self, record_list, values_list, kwargs_list):
        """Per message, the recipients _notify_get_recipients finds for it."""
        Followers = self.env["mail.followers"]
        groups = defaultdict(list)
        for index, values in enumerate(values_list):
            groups[(values["message_type"], values["subtype_id"])].append(index)
        result = [None] * len(values_list)
        for (message_type, subtype_id), indexes in groups.items():
            records = record_list[0].browse(
                dict.fromkeys(record_list[i].id for i in indexes)
            )
            pids = sorted(
                {pid for i in indexes for pid in values_list[i]["partner_ids"]}
            )
            followers = Followers._get_recipient_data(records, message_type, subtype_id)
            data = (
                Followers._get_recipient_data(records, message_type, subtype_id, pids)
                if pids
                else followers
            )
            for i in indexes:
                record, values = record_list[i], values_list[i]
                wanted = list(followers[record.id]) + [
                    pid
                    for pid in values["partner_ids"]
                    if pid not in followers[record.id]
                ]
                notify_author = kwargs_list[i].get(
                    "notify_author"
                ) or self.env.context.get("mail_notify_author")
                real_author_id = False
                if not notify_author:
                    if self.env.user.active:
                        real_author_id = self.env.user.partner_id.id
                    else:
                        real_author_id = values.get("author_id")
                result[i] = [
                    data[record.id][pid]
                    for pid in wanted
                    if pid in data[record.id]
                    and not (pid and pid == real_author_id)
                    and data[record.id][pid]["active"] is not False
                ]
        return result

    @api.model
    def _renewal_references(self, messages):
        """{message: its References}, as Odoo threads a notification email."""
        message_sudo = messages.sudo()
        note = self.env.ref("mail.mt_note")
        keys = {(m.model, m.res_id) for m in message_sudo}
        self.env.cr.execute(
            SQL(
                """SELECT id FROM (
                       SELECT id, row_number() OVER (
                                  PARTITION BY model, res_id ORDER BY id DESC) AS rank
                         FROM mail_message
                        WHERE (model, res_id) IN %s
                          AND message_type IN %s
                          AND (subtype_id != %s OR subtype_id IS NULL)
                          AND id < %s
                   ) candidates WHERE rank <= %s""",
                tuple(keys),
                OUTGOING_TYPES,
                note.id,
                max(messages.ids),
                REFERENCE_CANDIDATES + len(messages),
            )
        )
        candidates = (
            self.env["mail.message"]
            .sudo()
            .browse(sorted((row[0] for row in self.env.cr.fetchall()), reverse=True))
        )
        by_thread = defaultdict(list)
        for candidate in candidates:
            by_thread[(candidate.model, candidate.res_id)].append(candidate)
        references = {}
        for message in message_sudo:
            ancestors = [
                m
                for m in by_thread[(message.model, message.res_id)]
                if m.id < message.id
            ][:REFERENCE_CANDIDATES]
            ancestors = [
                m
                for m in ancestors
                if not m.is_internal and m.subtype_id and not m.subtype_id.internal
            ][:REFERENCE_ANCESTORS]
            references[message.id] = " ".join(
                m.message_id for m in [*ancestors[::-1], message]
            )
        return references

    @api.model
    def _renewal_base_mail_values(
        self, record, message, references, additional, extra_headers=None
    ):
        """mail.thread._notify_by_email_get_base_mail_values, references given,
        with ``extra_headers`` (the reminder's unsubscribe headers)."""
        mail_subject = message.subject
        if not mail_subject and hasattr(record, "_message_compute_subject"):
            mail_subject = record._message_compute_subject()
        if not mail_subject:
            mail_subject = message.record_name
        if mail_subject:
            mail_subject = " ".join(mail_subject.splitlines())
        values = {"mail_message_id": message.id, "references": references}
        if mail_subject != message.subject:
            values["subject"] = mail_subject
        values.update(additional)
        headers = {}
        bounce_email = message.sudo().record_alias_domain_id.bounce_email
        if bounce_email:
            headers["Return-Path"] = bounce_email
        headers = record._notify_by_email_get_headers(headers=headers)
        if extra_headers:
            headers = dict(headers or {}, **extra_headers)
        if headers:
            values["headers"] = repr(headers)
        return values

    @api.model
    def _renewal_notify_other_channels(self, notified):
        """Notify the batch's recipients on the channels another add-on
        brings, as its ``_notify_thread`` override does (the SMS of
        ``renewal_reminder_sms``). ``notified`` holds, per message notified
        now, ``(record, message, values, kwargs, recipients)``."""

    @api.model
    def _renewal_notify_batch(self, record_list, messages, values_list, kwargs_list):
        """mail.thread._notify_thread for each message, its records in bulk."""
        recipients_list = self._renewal_recipients(
            record_list, values_list, kwargs_list
        )
        SafeMail = self.sudo().with_context(clean_context(self.env.context))
        SafeNotification = (
            self.env["mail.notification"]
            .sudo()
            .with_context(clean_context(self.env.context))
        )
        to_mail = []
        schedules = []
        notified = []
        for record, message, values, kwargs, recipients in zip(
            record_list,
            messages,
            values_list,
            kwargs_list,
            recipients_list,
            strict=True,
        ):
            if not recipients:
                continue
            kwargs = dict(kwargs)
            kwargs.pop("notify_author", None)
            send_at = kwargs.pop("renewal_send_at", None)
            if kwargs.get("mail_headers") is None:
                kwargs.pop("mail_headers", None)
            scheduled = record._is_notification_scheduled(
                kwargs.pop("scheduled_date", None)
            )
            if scheduled:
                # Odoo's scheduled notification knows no extra headers.
                kwargs.pop("mail_headers", None)
                schedules.append(
                    {
                        "scheduled_datetime": scheduled,
                        "mail_message_id": message.id,
                        "notification_parameters": json.dumps(kwargs),
                    }
                )
                continue
            notified.append((record, message, values, kwargs, recipients))
            if any(r["notif"] == "inbox" for r in recipients):
                record._notify_thread_by_inbox(
                    message, recipients, msg_vals=values, **kwargs
                )
                record._notify_thread_by_web_push(message, recipients, values, **kwargs)
            partners_data = [r for r in recipients if r["notif"] == "email"]
            if partners_data:
                to_mail.append(
                    (record, message, values, kwargs, partners_data, send_at)
                )
        if schedules:
            self.env["mail.message.schedule"].sudo().create(schedules)
        self._renewal_notify_other_channels(notified)
        if not to_mail:
            return self.browse()
        mailed = self.env["mail.message"].union(*(item[1] for item in to_mail))
        references = self._renewal_references(mailed)
        # What the layout shows of each message, read once for all of them.
        mailed.sudo().fetch(["tracking_value_ids"])
        batch_size = (
            int(self.env["ir.config_parameter"].sudo().get_param("mail.batch_size"))
            or 50
        )
        mail_values_list, chunks = [], []
        for record, message, values, kwargs, partners_data, send_at in to_mail:
            if not message.sudo().tracking_value_ids:
                # Known to have none: Odoo's layout need not look again.
                values = dict(values, tracking_value_ids=[])
            base = self._renewal_base_mail_values(
                record,
                message,
                references[message.id],
                {"auto_delete": kwargs.get("mail_auto_delete", True)},
                kwargs.get("mail_headers"),
            )
            for (
                _lang,
                render_values,
                group,
            ) in record._notify_get_classified_recipients_iterator(
                message,
                partners_data,
                msg_vals=values,
                model_description=kwargs.get("model_description"),
                force_email_company=kwargs.get("force_email_company"),
                force_email_lang=kwargs.get("force_email_lang"),
                subtitles=kwargs.get("subtitles"),
            ):
                unsubscribe = self.env["renewal.answer"]._unsubscribe_url(
                    kwargs.get("mail_headers")
                )
                if unsubscribe:
                    render_values = dict(
                        render_values, renewal_unsubscribe_url=unsubscribe
                    )
                body = record._notify_by_email_render_layout(
                    message, group, msg_vals=values, render_values=render_values
                )
                recipient_ids = group.pop("recipients")
                additional = {"body_html": body}
                if send_at:
                    # Held by Odoo's mail queue until the customer's hours.
                    additional["scheduled_date"] = send_at
                for chunk in split_every(batch_size, recipient_ids):
                    mail_values_list.append(
                        record._notify_by_email_get_final_mail_values(
                            chunk, base, additional_values=additional
                        )
                    )
                    chunks.append((message, chunk))
        mails = SafeMail.create(mail_values_list)
        SafeNotification.create(
            [
                {
                    "author_id": message.author_id.id,
                    "is_read": True,
                    "mail_mail_id": mail.id,
                    "mail_message_id": message.id,
                    "notification_status": "ready",
                    "notification_type": "email",
                    "res_partner_id": partner_id,
                }
                for mail, (message, chunk) in zip(mails, chunks, strict=True)
                for partner_id in chunk
            ]
        )
        return mails
