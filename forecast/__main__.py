"""``python -m forecast`` runs the command line."""

import sys

from forecast.cli import main

sys.exit(main())
