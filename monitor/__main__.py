"""``python -m monitor`` is the ``eventflow`` command."""

import sys

from monitor.cli import main

sys.exit(main())
