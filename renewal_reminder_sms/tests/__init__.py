from . import test_renewal_sms
