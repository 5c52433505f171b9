from . import test_renewal_board
from . import test_renewal_board_http
from . import test_renewal_tours
