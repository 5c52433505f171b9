import json
from datetime import date

from lxml import etree

from odoo import fields
from odoo.tests import freeze_time, tagged

from odoo.addons.renewal_reminder.tests.common import RenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalBoard(RenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upcoming = cls._create_contract(
            cls.customer_gold, date_end=date(2027, 3, 31), price=1000.0
        )
        cls.reminding = cls._create_contract(
            cls.customer_standard, date_end=date(2027, 3, 20), price=500.0
        )
        cls._create_reminder(cls.reminding, 30, "sent")
        cls.to_review = cls._create_contract(
            cls.customer_gold, date_end=date(2027, 4, 30), price=2000.0
        )
        cls._create_reminder(cls.to_review, 45, "review")
        cls.not_mine = cls._create_contract(
            cls.customer_gold, date_end=date(2027, 3, 31), user=cls.other_salesperson
        )
        cls.ours = cls.upcoming | cls.reminding | cls.to_review | cls.not_mine
        cls.action = cls.env["ir.actions.act_window"]._for_xml_id(
            "renewal_reminder.contract_contract_renewal_action"
        )

    def test_the_board_opens_first_as_a_kanban_by_renewal_status(self):
        self.assertEqual(self.action["view_mode"].split(",")[0], "kanban")
        Contract = self.env["contract.contract"].with_user(self.salesperson)
        views = Contract.get_views(
            [(view_id, mode) for view_id, mode in self.action["views"]]
        )
        kanban = etree.fromstring(views["views"]["kanban"]["arch"])
        self.assertEqual(kanban.get("default_group_by"), "renewal_state")
        self.assertEqual(kanban.get("sample"), "1")
        progressbar = kanban.find("progressbar")
        self.assertEqual(progressbar.get("field"), "activity_state")
        self.assertEqual(progressbar.get("sum_field"), "renewal_recurring_value")
        card_fields = {node.get("name") for node in kanban.iter("field")}
        self.assertTrue(
            {
                "partner_id",
                "renewal_tier_id",
                "renewal_cycle_end",
                "renewal_recurring_value",
                "user_id",
                "activity_ids",
            }
            <= card_fields
        )
        # What the board's progress bars show, through the call the web
        # client makes with the kanban's own settings: the review waiting on
        # the salesperson is an activity due today in its column.
        colors = json.loads(progressbar.get("colors"))
        self.assertEqual(set(colors), {"planned", "today", "overdue"})
        review_type = self.env.ref("renewal_reminder.mail_activity_type_renewal_review")
        # Due today as Odoo judges it for a salesperson without a time zone
        # (UTC), whatever the hour the test runs at.
        self.salesperson.tz = False
        self.to_review.activity_schedule(
            activity_type_id=review_type.id,
            user_id=self.salesperson.id,
            date_deadline=fields.Date.today(),
        )
        bars = Contract.read_progress_bar(
            [("id", "in", self.ours.ids)],
            kanban.get("default_group_by"),
            {"field": progressbar.get("field"), "colors": colors},
        )
        self.assertEqual(bars.get("review", {}).get("today"), 1, bars)
        self.assertFalse(bars.get("upcoming", {}).get("today"))

    def test_salesperson_columns_hold_their_own_renewals_with_totals(self):
        Contract = self.env["contract.contract"].with_user(self.salesperson)
        groups = Contract.web_read_group(
            [("id", "in", self.ours.ids)],
            ["renewal_recurring_value:sum"],
            ["renewal_state"],
        )["groups"]
        by_state = {group["renewal_state"]: group for group in groups}
        # Every renewal status has its column, even an empty one, what needs
        # someone first (a phone opens on the first column); "No End Date"
        # only when a contract has none.
        self.assertEqual(
            list(by_state),
            [
                "review",
                "accepted",
                "lapsed",
                "more_time",
                "reminding",
                "upcoming",
                "renewed",
                "lost",
            ],
        )
        open_ended = self._create_contract(self.customer_gold, date_end=False)
        groups = Contract.web_read_group(
            [("id", "in", (self.ours | open_ended).ids)],
            ["renewal_recurring_value:sum"],
            ["renewal_state"],
        )["groups"]
        self.assertEqual(groups[-1]["renewal_state"], "no_end_date")
        self.assertEqual(groups[-1]["renewal_state_count"], 1)
        self.assertEqual(by_state["upcoming"]["renewal_state_count"], 1)
        self.assertEqual(by_state["upcoming"]["renewal_recurring_value"], 12000.0)
        self.assertEqual(by_state["reminding"]["renewal_recurring_value"], 6000.0)
        self.assertEqual(by_state["review"]["renewal_recurring_value"], 24000.0)
        self.assertEqual(by_state["lost"]["renewal_state_count"], 0)

    def test_the_board_measures_the_renewal_rate_against_the_target(self):
        Contract = self.env["contract.contract"]
        renewed = self._create_contract(self.customer_gold, date_end=date(2026, 12, 31))
        lost = self._create_contract(self.customer_gold, date_end=date(2027, 1, 31))
        lapsed = self._create_contract(self.customer_gold, date_end=date(2027, 2, 1))
        theirs = self._create_contract(
            self.customer_gold, date_end=date(2027, 1, 31), user=self.other_salesperson
        )
        (lost | theirs)._renewal_mark_lost("Price")
        Contract.flush_model()
        self.env.cr.execute(
            "UPDATE contract_contract SET renewal_state = %s WHERE id = %s",
            ("renewed", renewed.id),
        )
        self.env.cr.execute(
            "UPDATE contract_contract SET renewal_state = %s WHERE id = %s",
            ("lapsed", lapsed.id),
        )
        Contract.invalidate_model(["renewal_state"])
        self.env["ir.config_parameter"].set_param("renewal_reminder.target_rate", "90")
        ended = (renewed | lost | lapsed | theirs).ids
        # As the salesperson reads their own: 1 renewed of 3 ended.
        summary = Contract.with_user(self.salesperson).renewal_target_summary(
            [("id", "in", ended)]
        )
        self.assertEqual((summary["renewed"], summary["decided"]), (1, 3))
        self.assertEqual(summary["rate_label"], "33.3%")
        self.assertEqual(summary["target_label"], "90%")
        # The manager sees the colleague's lost one too.
        summary = Contract.with_user(self.manager).renewal_target_summary(
            [("id", "in", ended)]
        )
        self.assertEqual((summary["renewed"], summary["decided"]), (1, 4))
        self.assertEqual(summary["rate_label"], "25%")
        # A target stored around the form falls back on a sane one.
        self.env["ir.config_parameter"].set_param("renewal_reminder.target_rate", "x")
        self.assertEqual(
            Contract.renewal_target_summary([("id", "in", [])])["target_label"], "85%"
        )

    def test_pivot_and_graph_by_state_tier_and_end_month(self):
        Contract = self.env["contract.contract"].with_user(self.manager)
        pivot = Contract.read_group(
            [("id", "in", self.ours.ids)],
            ["renewal_recurring_value:sum"],
            ["renewal_state", "renewal_tier_id"],
            lazy=False,
        )
        cells = {
            (row["renewal_state"], row["renewal_tier_id"][1]): (
                row["__count"],
                row["renewal_recurring_value"],
            )
            for row in pivot
        }
        self.assertEqual(cells[("upcoming", "Gold")], (2, 24000.0))
        # Rows in the order of a renewal's life, not alphabetical.
        rows = Contract.read_group(
            [("id", "in", self.ours.ids)], ["__count"], ["renewal_state"], lazy=False
        )
        self.assertEqual(
            [row["renewal_state"] for row in rows], ["upcoming", "reminding", "review"]
        )
        rows = Contract.read_group(
            [("id", "in", self.ours.ids)],
            ["__count"],
            ["renewal_state"],
            orderby="renewal_state desc",
            lazy=False,
        )
        self.assertEqual(
            [row["renewal_state"] for row in rows], ["review", "reminding", "upcoming"]
        )
        # The analysis counts contracts as well as their value.
        for xmlid in (
            "renewal_reminder_dashboard.contract_contract_renewal_analysis_action",
            "renewal_reminder.contract_contract_renewal_action",
        ):
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
            self.assertIn("'pivot_measures': ['__count'", action["context"])
        self.assertEqual(cells[("reminding", "Standard")], (1, 6000.0))
        self.assertEqual(cells[("review", "Gold")], (1, 24000.0))

        # The graph's own grouping, as the web client reads it from the view.
        graph = etree.fromstring(
            Contract.get_view(
                self.env.ref(
                    "renewal_reminder_dashboard.contract_contract_view_graph_renewal"
                ).id,
                "graph",
            )["arch"]
        )
        groupby = [
            f"{node.get('name')}:{node.get('interval')}"
            for node in graph.iter("field")
            if node.get("interval")
        ]
        months = Contract.read_group(
            [("id", "in", self.ours.ids)], ["renewal_recurring_value:sum"], groupby
        )
        self.assertEqual(
            [
                (row["renewal_cycle_end:month"], row["renewal_cycle_end_count"])
                for row in months
            ],
            [("March 2027", 3), ("April 2027", 1)],
        )

    @freeze_time("2027-03-05")
    def test_activity_progress_bar_and_quick_filters(self):
        self.reminding.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=date(2027, 3, 1),
            user_id=self.salesperson.id,
        )
        Contract = self.env["contract.contract"].with_user(self.salesperson)
        bars = Contract.read_progress_bar(
            [("id", "in", self.ours.ids)],
            "renewal_state",
            {
                "field": "activity_state",
                "colors": {
                    "planned": "success",
                    "today": "warning",
                    "overdue": "danger",
                },
            },
        )
        self.assertEqual(bars["reminding"], {"planned": 0, "today": 0, "overdue": 1})
        self.assertEqual(
            Contract.search(
                [("id", "in", self.ours.ids), ("activity_state", "=", "overdue")]
            ),
            self.reminding,
        )
        self.assertEqual(
            Contract.search(
                [("id", "in", self.ours.ids), ("renewal_state", "=", "review")]
            ),
            self.to_review,
        )

    def test_analysis_menu_is_for_managers(self):
        menu = self.env.ref("renewal_reminder_dashboard.renewal_analysis_menu")
        visible_to_sales = (
            self.env["ir.ui.menu"].with_user(self.salesperson)._visible_menu_ids()
        )
        visible_to_manager = (
            self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        )
        self.assertNotIn(menu.id, visible_to_sales)
        self.assertIn(menu.id, visible_to_manager)
        board = self.env.ref("renewal_reminder.contract_contract_renewal_menu")
        self.assertIn(board.id, visible_to_sales)
