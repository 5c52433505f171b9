{
    "name": "Renewal Reminders by SMS",
    "summary": "Send renewal reminder stages by text message",
    "version": "18.0.1.1.0",
    "category": "Sales/Subscriptions",
    "license": "AGPL-3",
    "author": "Renewal Reminders",
    "website": "https://github.com/renewal-reminders/renewal-reminders",
    "development_status": "Alpha",
    "depends": ["renewal_reminder", "sms", "phone_validation", "link_tracker"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "data/sms_template_data.xml",
        "views/renewal_policy_views.xml",
        "views/res_partner_views.xml",
        "views/renewal_sms_portal_templates.xml",
    ],
}
