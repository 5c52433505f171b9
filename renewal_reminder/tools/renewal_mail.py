"""What ``renewal.dispatch`` hands Odoo's mail composer for the reminder
emails it sends: {contract id: the values the composer takes as they are}.

It travels in the context, which a client also writes: only a
:class:`PreparedMails` built on the server counts (a client's context holds
plain dictionaries), so nobody can make the composer send texts, authors or
recipients of their own choosing through it.
"""

CONTEXT_KEY = "renewal_mail_prepared"


class PreparedMails(dict):
    """{contract id: prepared email values}, made by the server only."""


def prepared_mails(context):
    """The prepared emails ``context`` carries, or an empty dict."""
    prepared = (context or {}).get(CONTEXT_KEY)
    return prepared if isinstance(prepared, PreparedMails) else {}
