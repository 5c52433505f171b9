from . import renewal_tier
from . import renewal_policy
from . import renewal_policy_stage
from . import renewal_reminder
from . import res_partner
from . import contract_contract
from . import res_config_settings
