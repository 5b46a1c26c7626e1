"""``python -m monitor`` is the ``eventflow`` command."""

import sys

from monitor.cli import main

if __name__ == "__main__":  # the log writer's process imports the main module again
    sys.exit(main())
