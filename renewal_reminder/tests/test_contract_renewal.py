from datetime import date

from lxml import etree
from psycopg2 import IntegrityError

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil, safe_eval

from .common import RenewalCommon


@tagged("post_install", "-at_install")
class TestContractRenewal(RenewalCommon):
    def test_tier_comes_from_the_customer_and_can_be_overridden(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Ann Buyer",
                "parent_id": self.customer_gold.id,
                "email": "ann@bluepeak.example.com",
            }
        )
        contract = self._create_contract(contact)
        self.assertEqual(contract.renewal_tier_id, self.tier_gold)
        self.assertEqual(contract.renewal_policy_id, self.policy_gold)

        contract.renewal_tier_id = self.tier_standard
        self.assertEqual(contract.renewal_policy_id, self.policy_standard)

        # The customer moves up: its contracts follow.
        other = self._create_contract(self.customer_standard)
        self.customer_standard.renewal_tier_id = self.tier_strategic
        self.assertEqual(other.renewal_tier_id, self.tier_strategic)
        self.assertEqual(other.renewal_policy_id, self.policy_strategic)

    def test_billing_rhythm_and_annual_value(self):
        monthly = self._create_contract(
            self.customer_standard, price=350.0, rule="monthly"
        )
        quarterly = self._create_contract(
            self.customer_standard, price=500.0, rule="quarterly"
        )
        yearly = self._create_contract(
            self.customer_standard, price=9000.0, rule="yearly"
        )
        six_monthly = self._create_contract(
            self.customer_standard, price=100.0, rule="monthly", interval=6
        )
        self.assertEqual(
            (monthly + quarterly + yearly + six_monthly).mapped(
                "renewal_billing_rhythm"
            ),
            ["monthly", "quarterly", "yearly", "quarterly"],
        )
        self.assertEqual(monthly.renewal_recurring_value, 4200.0)
        self.assertEqual(quarterly.renewal_recurring_value, 2000.0)
        self.assertEqual(yearly.renewal_recurring_value, 9000.0)
        self.assertEqual(six_monthly.renewal_recurring_value, 200.0)

    def test_annual_value_is_converted_to_the_company_currency(self):
        other = self.env["res.currency"].search(
            [("id", "!=", self.currency.id), ("active", "in", (True, False))], limit=1
        )
        other.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": other.id,
                "rate": 2.0,
                "name": "2020-01-01",
                "company_id": self.company.id,
            }
        )
        self.currency.rate_ids.unlink()
        contract = self._create_contract(
            self.customer_standard, price=100.0, rule="monthly", currency_id=other.id
        )
        self.assertEqual(contract.currency_id, other)
        # 1,200 a year in a currency worth half the company's.
        self.assertEqual(contract.renewal_recurring_value, 600.0)
        self.assertEqual(contract.renewal_currency_id, self.currency)

    def test_renewal_cycle_and_next_reminder(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        self.assertEqual(contract.renewal_cycle_end, date(2027, 3, 31))
        self.assertEqual(contract.renewal_state, "upcoming")
        # Standard: 30, 15 and 3 days before the end.
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 1))

        self._create_reminder(contract, 30, "sent")
        self.assertEqual(contract.renewal_state, "reminding")
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 16))
        self.assertEqual(contract.renewal_reminder_count, 1)

        self._create_reminder(contract, 15, "review")
        self.assertEqual(contract.renewal_state, "review")
        self.assertEqual(contract.renewal_next_date, date(2027, 3, 28))

        self._create_reminder(contract, 3, "skipped", reason_code="opted_out")
        self.assertFalse(contract.renewal_next_date)

    def test_moving_the_end_date_forward_renews_and_plans_the_next_cycle(self):
        contract = self._create_contract(
            self.customer_standard, date_end=date(2027, 3, 31)
        )
        self._create_reminder(contract, 30, "sent")
        self.assertEqual(contract.renewal_state, "reminding")

        contract.contract_line_ids.date_end = date(2028, 3, 31)
        self.assertEqual(contract.renewal_state, "renewed")
        self.assertEqual(contract.renewal_cycle_end, date(2028, 3, 31))
        self.assertEqual(contract.renewal_next_date, date(2028, 3, 1))

        # The new cycle's first reminder puts it back in the pipeline.
        self._create_reminder(contract, 30, "queued")
        self.assertEqual(contract.renewal_state, "reminding")

    def test_no_end_date_lost_and_archived_contracts_are_not_reminded(self):
        open_ended = self._create_contract(self.customer_standard, date_end=False)
        self.assertEqual(open_ended.renewal_state, "no_end_date")
        self.assertFalse(open_ended.renewal_next_date)

        lost = self._create_contract(self.customer_standard)
        self._mark_lost(lost)
        self.assertEqual(lost.renewal_state, "lost")
        self.assertFalse(lost.renewal_next_date)
        lost.with_user(self.salesperson).action_renewal_reopen()
        self.assertEqual(lost.renewal_state, "upcoming")
        self.assertEqual(lost.renewal_next_date, date(2027, 3, 1))

        archived = self._create_contract(self.customer_standard)
        archived.active = False
        self.assertFalse(archived.renewal_next_date)

    def test_status_changes_are_tracked_in_the_chatter(self):
        contract = self._create_contract(self.customer_standard)
        env = self.env(
            context=dict(self.env.context, tracking_disable=False, mail_notrack=False)
        )
        env.flush_all()
        env.cr.precommit.run()
        env["renewal.reminder"].create(
            {
                "contract_id": contract.id,
                "cycle_end": contract.renewal_cycle_end,
                "days_before": 30,
                "state": "sent",
            }
        )
        env.flush_all()
        env.cr.precommit.run()
        tracked = contract.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "renewal_state"
        )
        self.assertEqual(len(tracked), 1)
        self.assertEqual(tracked.old_value_char, "Upcoming")
        self.assertEqual(tracked.new_value_char, "Reminding")

    @freeze_time("2027-03-10")
    def test_days_left_and_the_salesperson_filters(self):
        soon = self._create_contract(self.customer_standard, date_end=date(2027, 3, 31))
        later = self._create_contract(
            self.customer_standard, date_end=date(2027, 5, 31)
        )
        far = self._create_contract(self.customer_gold, date_end=date(2027, 12, 31))
        mine = self._create_contract(
            self.customer_gold, date_end=date(2027, 4, 1), user=self.other_salesperson
        )
        self.assertEqual(soon.renewal_days_left, 21)
        self.assertEqual(later.renewal_days_left, 82)
        ours = soon | later | far | mine

        def filtered(name):
            view = self.env.ref("contract.contract_contract_search_view")
            arch = self.env["contract.contract"].get_view(view.id, "search")["arch"]
            node = next(
                node
                for node in etree.fromstring(arch).iter("filter")
                if node.get("name") == name
            )
            domain = safe_eval(
                node.get("domain"),
                {
                    "context_today": lambda: safe_datetime.date.today(),
                    "relativedelta": dateutil.relativedelta.relativedelta,
                    "uid": self.other_salesperson.id,
                },
            )
            return self.env["contract.contract"].search(
                domain + [("id", "in", ours.ids)]
            )

        self.assertEqual(filtered("ending_30"), soon | mine)
        self.assertEqual(filtered("ending_90"), soon | later | mine)
        self.assertEqual(filtered("ending_this_month"), soon)
        self.assertEqual(filtered("my_renewals"), mine)
        self.assertFalse(filtered("needs_review"))
        self._create_reminder(far, 45, "review")
        self.assertEqual(filtered("needs_review"), far)
        self.assertEqual(filtered("reminder_due"), soon | mine)

    def test_smart_button_opens_the_contract_reminders(self):
        contract = self._create_contract(self.customer_standard)
        reminder = self._create_reminder(contract, 30, "sent")
        action = contract.action_view_renewal_reminders()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]), reminder
        )
        # Dates in the reader's format, days counted as a person counts them.
        self.assertEqual(
            reminder.display_name, f"{contract.display_name}: 30 days before 03/31/2027"
        )
        reminder.days_before = 1
        self.assertEqual(
            reminder.display_name, f"{contract.display_name}: 1 day before 03/31/2027"
        )
        reminder.days_before = -5
        self.assertEqual(
            reminder.display_name, f"{contract.display_name}: 5 days after 03/31/2027"
        )
        self.env["res.lang"]._activate_lang("zh_CN")
        self.assertIn(
            "2027年03月31日", reminder.with_context(lang="zh_CN").display_name
        )

    def test_one_reminder_per_stage_and_cycle(self):
        contract = self._create_contract(self.customer_standard)
        self._create_reminder(contract, 30, "sent")
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self._create_reminder(contract, 30, "queued")
            self.env.flush_all()
