from . import renewal_portal
