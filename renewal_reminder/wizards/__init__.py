from . import renewal_reminder_refuse
from . import renewal_urgent_reminder
from . import renewal_policy_preview
from . import renewal_mark_lost
