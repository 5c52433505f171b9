from . import renewal_policy_preview
