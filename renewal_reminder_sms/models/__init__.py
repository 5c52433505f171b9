from . import renewal_policy_stage
from . import renewal_reminder
from . import renewal_dispatch
from . import mail_notification
from . import sms_template
from . import res_partner
from . import renewal_consent
