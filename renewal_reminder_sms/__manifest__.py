{
    "name": "Renewal Reminders by SMS",
    "summary": "Send renewal reminder stages by text message",
    "version": "18.0.1.3.0",
    "category": "Sales/Subscriptions",
    "license": "AGPL-3",
    "author": "Renewal Reminders",
    "website": "https://github.com/renewal-reminders/renewal-reminders",
    "development_status": "Alpha",
    "depends": ["renewal_reminder", "sms", "phone_validation", "link_tracker"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "data/sms_template_data.xml",
        "data/ir_cron_data.xml",
        "views/res_config_settings_views.xml",
        "views/renewal_policy_views.xml",
        "views/res_partner_views.xml",
        "views/renewal_sms_portal_templates.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "renewal_reminder_sms/static/tests/tours/*.js",
        ],
    },
}
