"""A reminder on its way: what the daily pass, the escalation or a person
decided to send, and what its channel prepared of it.

A plan is made when a reminder is decided (its contract, policy, stage,
channel and cycle), given its recipient and its state by the checks, its
message by its channel (subject, body, headers, answer key) and its moment
by the customer's sending hours; the reminder log is written from it. The
values a channel add-on keeps of its own (the text and number of an SMS,
its links) go in ``extra``. No Odoo import: records are held as they are.
"""

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any


@dataclass(eq=False)
class ReminderPlan:
    contract: Any
    policy: Any = None
    stage: Any = None
    cycle_end: date | None = None
    today: date | None = None
    channel: str | None = None
    # What becomes of it: scheduled, review, queued, skipped, failed...
    state: str = "scheduled"
    trigger: str = "scheduler"
    reason_code: str | None = None
    reason: str | None = None
    recipient: Any = None
    # An existing reminder the plan stands for (an approved one).
    reminder: Any = None
    # The message its channel prepared.
    template: Any = None
    subject: str | None = None
    body: str | None = None
    held_body: str | None = None
    email_from: str | bool = False
    mail_headers: dict | None = None
    answer_key: str | None = None
    # When it may leave (the customer's sending hours).
    send_at: datetime | None = None
    send_at_reason: str | None = None
    send_later: bool = False
    no_moment: bool = False
    # What the channel recorded when it sent it.
    queued_date: datetime | None = None
    sent_values: dict = field(default_factory=dict)
    # What a channel add-on keeps of its own.
    extra: dict = field(default_factory=dict)

    def update(self, **values):
        """Set several values at once; an unknown name is an error."""
        known = {f.name for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise AttributeError(f"a reminder plan has no {name!r}")
            setattr(self, name, value)
        return self

    def skip(self, code, reason):
        """Skipped, with the reason code and its text."""
        return self.update(state="skipped", reason_code=code, reason=reason)

    def fail(self, code, reason):
        """Failed, with the reason code and its text."""
        return self.update(state="failed", reason_code=code, reason=reason)
