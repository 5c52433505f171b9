from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model
    def _renewal_schedule_bulk(self, model, values_list):
        """Schedule automated activities on records of ``model``, set-based.

        Each item of ``values_list`` holds res_id, activity_type_id,
        user_id, date_deadline and summary. The rows are those Odoo's create
        writes, in one INSERT; as in Odoo, the assignees follow the records
        and are told at once of what is due today. Returns the activities.
        """
        if not values_list:
            return self.browse()
        records = self.env[model].browse({values["res_id"] for values in values_list})
        users = self.env["res.users"].browse(
            {values["user_id"] for values in values_list}
        )
        model_id = self.env["ir.model"]._get_id(model)
        now = fields.Datetime.now()
        uid = self.env.uid
        rows = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, true, true, %s, %s, %s, %s)",
                model_id,
                model,
                values["res_id"],
                records.browse(values["res_id"]).display_name,
                values["activity_type_id"],
                values["user_id"],
                users.browse(values["user_id"]).tz or None,
                values["summary"],
                values["date_deadline"],
                uid,
                now,
                uid,
                now,
            )
            for values in values_list
        ]
        self.env.cr.execute(
            SQL(
                """INSERT INTO mail_activity (res_model_id, res_model, res_id,
                       res_name, activity_type_id, user_id, user_tz, summary,
                       date_deadline, automated, active, create_uid, create_date,
                       write_uid, write_date)
                   VALUES %s RETURNING id""",
                SQL(", ").join(rows),
            )
        )
        activities = self.browse([row[0] for row in self.env.cr.fetchall()])
        # What the records show of their activities is now stale.
        records.invalidate_recordset(
            [
                fname
                for fname in self.env["mail.activity.mixin"]._fields
                if "activit" in fname
            ]
        )
        today = fields.Date.context_today(self)
        by_user = defaultdict(list)
        for values in values_list:
            by_user[values["user_id"]].append(values)
        for user in users:
            user_values = by_user[user.id]
            records.browse([v["res_id"] for v in user_values]).message_subscribe(
                partner_ids=user.partner_id.ids
            )
            if any(v["date_deadline"] <= today for v in user_values):
                user._bus_send("mail.activity/updated", {"activity_created": True})
        return activities
