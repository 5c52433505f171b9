from odoo import api, fields, models, tools
from odoo.tools import SQL


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        # Before the parent: it deletes the mails meant to be auto-deleted.
        self.env["renewal.reminder"]._sync_from_mails(
            self, failure_type, failure_reason
        )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    @api.model
    def _renewal_queue_bulk(self, model, subtype, emails):
        """Queue one email per item of ``emails``, logged in each record's chatter.

        Each item holds res_id, record_name, subject, body, email_from,
        reply_to, author_id and partner_id (the recipient). Writes the
        chatter messages, their recipients, the outgoing emails and their
        delivery notifications with one INSERT each: the rows are those the
        ORM writes for a notification email (see ``mail.thread``), but the
        body is sanitized once instead of once per model and per step, which
        was most of the cost of a reminder. Returns the emails and their
        messages, in order.
        """
        if not emails:
            return self.browse(), self.env["mail.message"]
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        now = fields.Datetime.now()
        uid = self.env.uid
        bodies = [
            body_field.convert_to_column(email["body"] or "", Message) or ""
            for email in emails
        ]
        message_rows = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                model,
                email["res_id"],
                email["record_name"],
                "auto_comment",
                subtype.id,
                email["subject"],
                body,
                email["email_from"],
                email["reply_to"],
                email["author_id"],
                tools.mail.generate_tracking_message_id(f"{email['res_id']}-{model}"),
                True,
                now,
                uid,
                now,
                uid,
                now,
            )
            for email, body in zip(emails, bodies, strict=True)
        ]
        message_ids = self._renewal_insert(
            SQL(
                """INSERT INTO mail_message (model, res_id, record_name, message_type,
                       subtype_id, subject, body, email_from, reply_to, author_id,
                       message_id, email_add_signature, date, create_uid,
                       create_date, write_uid, write_date)
                   VALUES %s RETURNING id""",
                SQL(", ").join(message_rows),
            )
        )
        mail_ids = self._renewal_insert(
            SQL(
                """INSERT INTO mail_mail (mail_message_id, body_html, state,
                       is_notification, auto_delete, create_uid, create_date,
                       write_uid, write_date)
                   VALUES %s RETURNING id""",
                SQL(", ").join(
                    SQL(
                        "(%s, %s, 'outgoing', true, false, %s, %s, %s, %s)",
                        message_id,
                        body,
                        uid,
                        now,
                        uid,
                        now,
                    )
                    for message_id, body in zip(message_ids, bodies, strict=True)
                ),
            )
        )
        partner_ids = [email["partner_id"] for email in emails]
        self.env.cr.execute(
            SQL(
                """INSERT INTO mail_message_res_partner_rel
                       (mail_message_id, res_partner_id)
                   SELECT * FROM unnest(%s::int[], %s::int[]);
                   INSERT INTO mail_mail_res_partner_rel (mail_mail_id, res_partner_id)
                   SELECT * FROM unnest(%s::int[], %s::int[]);
                   INSERT INTO mail_notification (mail_message_id, mail_mail_id,
                       res_partner_id, notification_type, notification_status,
                       is_read, read_date)
                   SELECT message_id, mail_id, partner_id, 'email', 'ready', true, %s
                     FROM unnest(%s::int[], %s::int[], %s::int[])
                       AS t(message_id, mail_id, partner_id)""",
                message_ids,
                partner_ids,
                mail_ids,
                partner_ids,
                now,
                message_ids,
                mail_ids,
                partner_ids,
            )
        )
        # What the ORM would have in cache about these records is now stale.
        records = self.env[model].browse({email["res_id"] for email in emails})
        records.invalidate_recordset(
            ["message_ids", "message_needaction", "message_needaction_counter"]
        )
        return self.browse(mail_ids), Message.browse(message_ids)

    def _renewal_insert(self, query):
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]
