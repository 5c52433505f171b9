from . import renewal_sms_portal
