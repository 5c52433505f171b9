from . import test_renewal_policy
from . import test_contract_renewal
from . import test_res_partner
from . import test_access
from . import test_settings
from . import test_translation
from . import test_renewal_scheduler
