{
    "name": "Renewal Reminders Dashboard",
    "summary": "Renewal board, pivot and graph of contracts up for renewal",
    "version": "18.0.1.1.0",
    "category": "Sales/Subscriptions",
    "license": "AGPL-3",
    "author": "Renewal Reminders",
    "website": "https://github.com/renewal-reminders/renewal-reminders",
    "development_status": "Alpha",
    "depends": ["renewal_reminder"],
    "data": [
        "views/contract_contract_views.xml",
        "views/renewal_dashboard_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "renewal_reminder_dashboard/static/src/views/renewal_board.*",
        ],
        # Odoo loads its graph and pivot views on demand, in this bundle.
        "web.assets_backend_lazy": [
            "renewal_reminder_dashboard/static/src/views/renewal_graph.js",
        ],
        "web.assets_tests": [
            "renewal_reminder_dashboard/static/tests/tours/*.js",
        ],
    },
}
