from . import renewal_sms
from . import renewal_sms_twilio
