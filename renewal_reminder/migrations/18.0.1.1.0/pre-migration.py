"""18.0.1.1.0: a reminder keeps its own text only until it goes out.

Before, every reminder stored its text in ``body``; now the text of a queued
reminder is its email's, and ``draft_body`` holds the text of the reminders
still waiting (for review, or that failed before going out). Copy it over so
that nothing waiting loses its text.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'renewal_reminder' AND column_name = 'body'"
    )
    if not cr.fetchone():
        return
    cr.execute("ALTER TABLE renewal_reminder ADD COLUMN IF NOT EXISTS draft_body text")
    cr.execute(
        "UPDATE renewal_reminder SET draft_body = body "
        "WHERE message_id IS NULL AND body IS NOT NULL AND draft_body IS NULL"
    )
