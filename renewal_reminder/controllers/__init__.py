from . import renewal_portal
from . import mail_tracking
