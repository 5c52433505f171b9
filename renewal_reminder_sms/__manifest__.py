{
    "name": "Renewal Reminders by SMS",
    "summary": "Send renewal reminder stages by text message",
    "version": "18.0.1.0.0",
    "category": "Sales/Subscriptions",
    "license": "AGPL-3",
    "author": "Renewal Reminders",
    "website": "https://github.com/renewal-reminders/renewal-reminders",
    "development_status": "Alpha",
    "depends": ["renewal_reminder", "sms"],
    "external_dependencies": {"python": ["phonenumbers"]},
}
