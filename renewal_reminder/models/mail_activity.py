from odoo import api, models
from odoo.tools import clean_context


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model
    def _renewal_schedule_bulk(self, model, values_list):
        """``activity_schedule`` on records of ``model``, in one create.

        Each item of ``values_list`` holds res_id, activity_type_id,
        user_id, date_deadline and summary: the values ``activity_schedule``
        gives (automated, the type's default note and assignee), created
        through the ORM in one go, so that Odoo (the assignee follows the
        record and is told of what is due today) and every add-on's
        ``create`` run on them. As for any quick update, no assignment
        email goes out per activity. Returns the activities.
        """
        if not values_list or self.env.context.get("mail_activity_automation_skip"):
            return self.browse()
        model_id = self.env["ir.model"]._get(model).id
        types = self.env["mail.activity.type"].browse(
            {values["activity_type_id"] for values in values_list}
        )
        create_values = []
        for values in values_list:
            activity_type = types.browse(values["activity_type_id"])
            item = {
                "activity_type_id": activity_type.id,
                "summary": values.get("summary") or activity_type.summary,
                "automated": True,
                "note": values.get("note") or activity_type.default_note,
                "date_deadline": values["date_deadline"],
                "res_model_id": model_id,
                "res_id": values["res_id"],
                "user_id": values.get("user_id")
                or activity_type.default_user_id.id
                or self.env.uid,
            }
            create_values.append(item)
        # Automated: the assignee finds the activity in their activities
        # (and is told at once of one due today), not by an email each.
        return self.with_context(
            clean_context(self.env.context), mail_activity_quick_update=True
        ).create(create_values)

    def _action_done(self, feedback=False, attachment_ids=None):
        """An answer's activity marked done: the salesperson acted on it,
        and the customer can no longer change their answer."""
        reminders = (
            self.env["renewal.reminder"]
            .sudo()
            .search(
                [("answer_activity_id", "in", self.ids), ("answer_acted", "=", False)]
            )
        )
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if reminders:
            reminders.write({"answer_acted": True})
        return result
