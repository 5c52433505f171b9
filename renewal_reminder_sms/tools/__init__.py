from . import renewal_sms
