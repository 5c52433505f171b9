from . import renewal_rules
