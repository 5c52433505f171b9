from . import test_renewal_sms
from . import test_renewal_sms_http
from . import test_renewal_sms_provider
